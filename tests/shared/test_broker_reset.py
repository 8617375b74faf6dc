"""Events a broker lost are repaired (issue #17): a real tansu killed with -9 mid-stream.

Events go into a real outbox table continuously, the relay publishes them, a consumer applies
them. The consumer is stopped for a while (a lagging consumer), so events are acknowledged and
held by the broker alone; then the broker is killed with SIGKILL and started again, in memory,
empty; the topic is recreated with its partitions (what `duban run` does). With repair (the
relay's check of acknowledgements and republish after a reset, and the consumer's reconciler)
every event is applied exactly once; with `DUBAN_EVENT_REPAIR=off` the events the broker held
are lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from shared.broker import EmbeddedBroker, ensure_topics, topic_layout
from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.db import transaction
from shared.outbox import OutboxRelay, add_event
from shared.repair import LocalFeed, OutboxReconciler
from shared.settings import DubanSettings
from tests.conftest import unique_topic
from tests.shared.support import (
    OutboxDb,
    eventually,
    group_name,
    person_event,
    started_producer,
)


@pytest.fixture
def own_broker() -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker().start()
    yield broker
    broker.stop()


def kill_and_restart(broker: EmbeddedBroker) -> EmbeddedBroker:
    assert broker.pid is not None
    os.kill(broker.pid, signal.SIGKILL)
    while broker.exited() is None:
        pass  # reaped at once after SIGKILL
    broker.stop()
    return EmbeddedBroker(port=broker.port).start()


async def count_sent(db: OutboxDb) -> int:
    return await db.count(db.tables.outbox) - await db.unsent()


async def processed_ids(db: OutboxDb) -> set[str]:
    p = db.tables.processed_events
    async with db.engine.connect() as conn:
        return set(await conn.scalars(select(p.c.event_id)))


async def ids_after(db: OutboxDb, seq: int) -> set[str]:
    o = db.tables.outbox
    async with db.engine.connect() as conn:
        return set(await conn.scalars(select(o.c.event_id).where(o.c.id > seq)))


async def max_seq(db: OutboxDb) -> int:
    o = db.tables.outbox
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.max(o.c.id))) or 0)


def repair_switch(value: str) -> bool:
    """The global switch, read as every service reads it."""
    os.environ["DUBAN_EVENT_REPAIR"] = value
    try:
        return DubanSettings(env="test", secret_key="k" * 32).repair.enabled
    finally:
        del os.environ["DUBAN_EVENT_REPAIR"]


@pytest.mark.parametrize(
    ("switch", "reconcile"),
    [("on", True), ("on", False), ("off", False)],
    ids=["repair", "relay-alone", "repair-off"],
)
async def test_a_broker_killed_and_restarted_mid_stream_loses_nothing_with_repair(
    db: OutboxDb, own_broker: EmbeddedBroker, clock: TestClock, switch: str, reconcile: bool
) -> None:
    """`relay-alone`: the relay's republish after the reset is enough when the consumer reads
    the new topic from its start; the reconciler covers a consumer that does not."""
    repair = repair_switch(switch)
    topic = unique_topic("reset")
    layout = {topic: 6}
    await ensure_topics(own_broker.bootstrap_servers, layout)
    bootstrap = own_broker.bootstrap_servers
    relay = OutboxRelay(
        db.engine,
        db.tables.outbox,
        bootstrap,
        clock=clock,
        poll_interval=0.05,
        verify_acks=repair,
        reset_check_s=0.2,
        name=f"reset-{switch}",
    )
    group = group_name()

    def consumer() -> ConsumerRunner:
        return ConsumerRunner(
            name=group,
            topics=[topic],
            bootstrap_servers=bootstrap,
            sessionmaker=db.sessions,
            processed_events=db.tables.processed_events,
            handler=db.apply,
            clock=clock,
            session_timeout_ms=6000,
        )

    publishing = asyncio.Event()
    publishing.set()

    async def publish() -> None:
        i = 0
        while publishing.is_set():
            async with transaction(db.sessions) as session:
                event = person_event(clock, f"h-{i % 12}", f"事件{i}")
                await add_event(session, db.tables.outbox, event, topic, now=clock.now())
            i += 1
            await asyncio.sleep(0.01)

    broker = own_broker
    publisher = asyncio.create_task(publish())
    await relay.start()
    runner = consumer()
    reconciler: OutboxReconciler | None = None
    try:
        await runner.start()
        await eventually(lambda: runner.handled >= 30)
        # A lagging consumer: what is acknowledged now is held by the broker alone.
        await runner.stop()
        held_from = await count_sent(db)
        await eventually(lambda: _more_sent(db, held_from, 20))

        broker = kill_and_restart(own_broker)
        await ensure_topics(bootstrap, layout)  # the runner recreates the topics
        boundary, sent_then = await max_seq(db), await count_sent(db)

        runner = consumer()
        await runner.start()
        if reconcile:
            reconciler = OutboxReconciler(
                runner, {topic: LocalFeed(db.engine, db.tables.outbox)}, clock=clock, settle_s=0
            )
        await eventually(lambda: _more_sent(db, sent_then, 30))
        publishing.clear()
        await publisher
        await eventually(db.all_sent)
        everything = await ids_after(db, 0)
        after_restart = await ids_after(db, boundary)

        if repair:

            async def complete() -> bool:
                if reconciler is not None:
                    await reconciler.run_once()
                return await processed_ids(db) == everything

            await eventually(complete, within=60)
            assert await db.count(db.effects) == len(everything)  # each applied exactly once
            assert relay.republished > 0  # the relay saw the reset and published again
        else:
            # Whatever reached the restarted broker is applied; what it held before is gone.
            await eventually(lambda: _contains(db, after_restart), within=60)
            lost = everything - await processed_ids(db)
            assert len(lost) >= 20
            assert relay.republished == 0
    finally:
        publishing.clear()
        with contextlib.suppress(Exception):
            await publisher
        await runner.stop()
        await relay.stop()
        broker.stop()


async def _more_sent(db: OutboxDb, than: int, by: int) -> bool:
    return await count_sent(db) >= than + by


async def _contains(db: OutboxDb, ids: set[str]) -> bool:
    return ids <= await processed_ids(db)


async def test_nothing_counts_as_sent_to_a_topic_the_restarted_broker_lacks(
    db: OutboxDb, own_broker: EmbeddedBroker, clock: TestClock
) -> None:
    """The issue's reproduction: the relay's producer still holds the old 6-partition layout;
    the restarted broker acknowledges records for a topic it does not have. Those rows stay
    unsent, what was sent before is published again once, and all goes out when the topic is
    back with its 6 partitions."""
    topic = unique_topic("lost-topic")
    layout = {topic: 6}
    bootstrap = own_broker.bootstrap_servers
    await ensure_topics(bootstrap, layout)

    async def add(n: int) -> None:
        async with transaction(db.sessions) as session:
            for i in range(n):
                event = person_event(clock, f"h-{i}")
                await add_event(session, db.tables.outbox, event, topic, now=clock.now())

    async with started_producer(bootstrap) as producer:
        relay = OutboxRelay(db.engine, db.tables.outbox, bootstrap, clock=clock, producer=producer)
        await add(6)
        assert await relay.publish_batch() == 6
        broker = kill_and_restart(own_broker)
        try:
            await add(6)
            assert await relay.publish_batch() == 0  # acknowledged or not: not delivered
            assert await db.unsent() == 12  # the 6 the old broker held are to go again
            assert relay.republished == 6
            assert await relay.publish_batch() == 0
            assert relay.republished == 6  # once per reset

            await ensure_topics(bootstrap, layout)  # what the runner does after a restart
            await eventually(lambda: _publish_until_sent(relay, db))
            assert relay.republished == 6
            assert await topic_layout(bootstrap, [topic]) == layout
        finally:
            broker.stop()


async def _publish_until_sent(relay: OutboxRelay, db: OutboxDb) -> bool:
    await relay.publish_batch()
    return await db.all_sent()


async def test_a_consumer_running_through_the_restart_gets_every_event_once(
    db: OutboxDb, own_broker: EmbeddedBroker, clock: TestClock
) -> None:
    """As in a service: relay and consumer keep running while the broker is killed and
    restarted (the consumer's positions may point past the new topic's start: the reconciler
    brings what it skips)."""
    topic = unique_topic("through")
    layout = {topic: 6}
    bootstrap = own_broker.bootstrap_servers
    await ensure_topics(bootstrap, layout)
    relay = OutboxRelay(
        db.engine, db.tables.outbox, bootstrap, clock=clock, poll_interval=0.05, reset_check_s=0.2
    )
    runner = ConsumerRunner(
        name=group_name(),
        topics=[topic],
        bootstrap_servers=bootstrap,
        sessionmaker=db.sessions,
        processed_events=db.tables.processed_events,
        handler=db.apply,
        clock=clock,
        session_timeout_ms=6000,
    )
    reconciler = OutboxReconciler(
        runner, {topic: LocalFeed(db.engine, db.tables.outbox)}, clock=clock, settle_s=0
    )

    async def add(n: int) -> None:
        for i in range(n):
            async with transaction(db.sessions) as session:
                event = person_event(clock, f"h-{i % 12}", f"事件{i}")
                await add_event(session, db.tables.outbox, event, topic, now=clock.now())
            await asyncio.sleep(0.01)

    broker = own_broker
    await relay.start()
    await runner.start()
    try:
        await add(60)
        broker = kill_and_restart(own_broker)
        await ensure_topics(bootstrap, layout)
        await add(60)
        await eventually(db.all_sent, within=60)
        everything = await ids_after(db, 0)

        async def complete() -> bool:
            await reconciler.run_once()
            return await processed_ids(db) == everything

        await eventually(complete, within=90)
        assert await db.count(db.effects) == len(everything) == 120
    finally:
        await runner.stop()
        await relay.stop()
        broker.stop()
