"""The reconciler (shared.repair) and the outbox feed it reads (shared.outbox_feed).

Events "lost by the broker" are outbox rows marked sent that never reached the consumer: the
rows are written and marked sent here without any publish, so only the repair can apply them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bearer import encode_token
from shared.clock import TestClock
from shared.consumer import ConsumerRunner, Handler, PermanentError
from shared.contract import Envelope, dlq_topic
from shared.db import transaction
from shared.outbox import add_event
from shared.outbox_feed import outbox_router, service_token
from shared.repair import HttpFeed, LocalFeed, OutboxReconciler
from tests.conftest import unique_topic
from tests.shared.support import OutboxDb, group_name, person_event, read_topic

KEY = "k" * 32


@pytest.fixture
async def runner_factory(
    db: OutboxDb, broker: str, clock: TestClock
) -> AsyncIterator[list[ConsumerRunner]]:
    runners: list[ConsumerRunner] = []
    yield runners
    for runner in runners:
        await runner.stop()


async def started_runner(
    runners: list[ConsumerRunner],
    db: OutboxDb,
    broker: str,
    topic: str,
    clock: TestClock,
    handler: Handler | None = None,
    name: str | None = None,
) -> ConsumerRunner:
    runner = ConsumerRunner(
        name=name or group_name(),
        topics=[topic],
        bootstrap_servers=broker,
        sessionmaker=db.sessions,
        processed_events=db.tables.processed_events,
        handler=handler or db.apply,
        clock=clock,
        max_retries=1,
        retry_backoff=0.01,
    )
    await runner.start()
    runners.append(runner)
    return runner


async def sent_but_never_published(
    db: OutboxDb, topic: str, clock: TestClock, *keys: str
) -> list[Envelope]:
    """Rows the relay believed delivered: in the outbox, marked sent, on no broker."""
    events = [person_event(clock, key) for key in keys]
    async with transaction(db.sessions) as session:
        for event in events:
            await add_event(session, db.tables.outbox, event, topic, now=clock.now())
    o = db.tables.outbox
    async with db.engine.begin() as conn:
        await conn.execute(update(o).values(sent_at=clock.now()))
    return events


async def applied(db: OutboxDb) -> list[str]:
    async with db.engine.connect() as conn:
        return list(await conn.scalars(select(db.effects.c.event_id).order_by(db.effects.c.id)))


async def test_events_marked_sent_but_lost_are_applied_once_in_outbox_order(
    db: OutboxDb, broker: str, clock: TestClock, runner_factory: list[ConsumerRunner]
) -> None:
    topic = unique_topic("repair")
    runner = await started_runner(runner_factory, db, broker, topic, clock)
    events = await sent_but_never_published(db, topic, clock, "a", "b", "a", "c")
    clock.advance(seconds=61)
    reconciler = OutboxReconciler(
        runner, {topic: LocalFeed(db.engine, db.tables.outbox)}, clock=clock
    )

    assert await reconciler.run_once() == 4
    assert await applied(db) == [str(e.event_id) for e in events]
    assert reconciler.cursors[topic] == 4
    metric = REGISTRY.get_sample_value(
        "duban_events_repaired_total", {"consumer": runner.name, "topic": topic}
    )
    assert metric == 4

    # Again, and from a fresh cursor (a restarted service looks back its window): nothing twice.
    assert await reconciler.run_once() == 0
    fresh = OutboxReconciler(runner, {topic: LocalFeed(db.engine, db.tables.outbox)}, clock=clock)
    assert await fresh.run_once() == 0
    assert len(await applied(db)) == 4


async def test_only_settled_rows_are_compared_and_the_cursor_waits_for_unsent_ones(
    db: OutboxDb, broker: str, clock: TestClock, runner_factory: list[ConsumerRunner]
) -> None:
    topic = unique_topic("settle")
    runner = await started_runner(runner_factory, db, broker, topic, clock)
    first, second, third = await sent_but_never_published(db, topic, clock, "a", "b", "c")
    o = db.tables.outbox
    async with db.engine.begin() as conn:  # the second is not sent yet: the relay will send it
        await conn.execute(update(o).where(o.c.id == 2).values(sent_at=None))
    reconciler = OutboxReconciler(
        runner, {topic: LocalFeed(db.engine, db.tables.outbox)}, clock=clock, settle_s=60
    )

    # Sent just now: perhaps still on its way through the broker, left alone.
    assert await reconciler.run_once() == 0
    clock.advance(seconds=61)
    assert await reconciler.run_once() == 1
    assert await applied(db) == [str(first.event_id)]
    assert reconciler.cursors[topic] == 1  # stops before the unsent row

    async with db.engine.begin() as conn:
        await conn.execute(update(o).where(o.c.id == 2).values(sent_at=clock.now()))
    clock.advance(seconds=61)
    assert await reconciler.run_once() == 2
    assert await applied(db) == [str(e.event_id) for e in (first, second, third)]


async def test_a_repaired_event_that_fails_is_dead_lettered_once(
    db: OutboxDb, broker: str, clock: TestClock, runner_factory: list[ConsumerRunner]
) -> None:
    topic = unique_topic("repair-dlq")

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        if envelope.aggregate_id == "bad":
            raise PermanentError("无此隐患")
        await db.apply(session, envelope)

    runner = await started_runner(runner_factory, db, broker, topic, clock, handler)
    good, _bad = await sent_but_never_published(db, topic, clock, "good", "bad")
    clock.advance(seconds=61)
    feeds = {topic: LocalFeed(db.engine, db.tables.outbox)}

    assert await OutboxReconciler(runner, feeds, clock=clock).run_once() == 2
    assert await applied(db) == [str(good.event_id)]
    # A restarted service looks back again: the dead letter is noted, not pulled again.
    assert await OutboxReconciler(runner, feeds, clock=clock).run_once() == 0
    dead = [json.loads(r.value) for r in await read_topic(broker, dlq_topic(topic))]
    assert [d["key"] for d in dead] == ["bad"]
    assert dead[0]["partition"] == -1 and dead[0]["offset"] == 2  # from the repair, outbox row 2


async def test_events_the_consumer_applied_from_the_broker_are_not_applied_again(
    db: OutboxDb, broker: str, clock: TestClock, runner_factory: list[ConsumerRunner]
) -> None:
    topic = unique_topic("both")
    events = await sent_but_never_published(db, topic, clock, "a", "b")
    runner = await started_runner(runner_factory, db, broker, topic, clock)
    await runner._apply(events[0])  # the broker delivered the first one
    clock.advance(seconds=61)

    reconciler = OutboxReconciler(
        runner, {topic: LocalFeed(db.engine, db.tables.outbox)}, clock=clock
    )
    assert await reconciler.run_once() == 1
    assert sorted(await applied(db)) == sorted(str(e.event_id) for e in events)


# ------------------------------------------------------------------ the producer's endpoint
def producer_app(db: OutboxDb, clock: TestClock) -> FastAPI:
    app = FastAPI()
    app.include_router(
        outbox_router(lambda: db.engine, db.tables.outbox, secret_key=KEY, clock=clock)
    )
    return app


async def test_the_feed_answers_service_tokens_only(db: OutboxDb, clock: TestClock) -> None:
    topic = unique_topic("feed")
    await sent_but_never_published(db, topic, clock, "a")
    transport = httpx.ASGITransport(app=producer_app(db, clock))
    person = encode_token(
        {"sub": "u-1", "role": "county_office"}, secret_key=KEY, clock=clock, minutes=5
    )
    other_key = service_token(service="escalation", secret_key="x" * 32, clock=clock)
    async with httpx.AsyncClient(transport=transport, base_url="http://producer") as client:
        url = f"/internal/outbox?topic={topic}"
        nobody = await client.get(url)
        assert (
            nobody.status_code == 401
            and nobody.json()["detail"] == "未登录或登录已过期，请重新登录"
        )
        wrong = await client.get(url, headers={"Authorization": f"Bearer {other_key}"})
        assert wrong.status_code == 401
        a_person = await client.get(url, headers={"Authorization": f"Bearer {person}"})
        assert (
            a_person.status_code == 403
            and a_person.json()["detail"] == "仅供服务之间核对事件使用（需要服务间令牌）"
        )
        token = service_token(service="escalation", secret_key=KEY, clock=clock)
        bad = await client.get(url + "&after=-1", headers={"Authorization": f"Bearer {token}"})
        assert bad.status_code == 422


async def test_the_reconciler_reads_the_producer_over_http(
    db: OutboxDb, broker: str, clock: TestClock, runner_factory: list[ConsumerRunner]
) -> None:
    topic = unique_topic("http")
    runner = await started_runner(runner_factory, db, broker, topic, clock)
    events = await sent_but_never_published(db, topic, clock, *(f"h-{i}" for i in range(7)))
    clock.advance(timedelta(minutes=2))
    feed = HttpFeed(
        "http://producer",
        lambda: service_token(service="escalation", secret_key=KEY, clock=clock),
        transport=httpx.ASGITransport(app=producer_app(db, clock)),
    )
    # Pages of 3: the cursor walks them all in one round.
    reconciler = OutboxReconciler(runner, {topic: feed}, clock=clock, page_size=3)
    assert await reconciler.run_once() == 7
    assert await applied(db) == [str(e.event_id) for e in events]
