"""The relay's guarantees: at-least-once across a crash, order per key, two relays (its
wake-ups: test_outbox_wakeups.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any
from uuid import UUID

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.contract import Envelope
from shared.db import make_engine, transaction
from shared.outbox import OutboxRelay, add_event
from tests.conftest import DatabaseFactory, unique_topic
from tests.shared.support import (
    OutboxDb,
    add_committed,
    eventually,
    group_name,
    make_outbox_db,
    person_event,
    read_topic,
    started_producer,
)


class CrashAfterAck(OutboxRelay):
    """Dies after the broker acknowledged, before the rows are marked sent."""

    acked: asyncio.Event

    async def _mark_sent(self, conn: AsyncConnection, ids: list[int]) -> None:
        if ids:
            self.acked.set()
            await asyncio.Event().wait()  # hangs here until the relay is killed
        await super()._mark_sent(conn, ids)


async def test_crash_between_ack_and_mark_sent_republishes_and_consumer_applies_once(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("crash")
    envelope = person_event(clock)
    await add_committed(db, topic, envelope, clock=clock)

    crashing = CrashAfterAck(db.engine, db.tables.outbox, broker, clock=clock, poll_interval=0.1)
    crashing.acked = asyncio.Event()
    await crashing.start()
    await asyncio.wait_for(crashing.acked.wait(), 30)
    await crashing.stop(grace=0)  # killed: the transaction that would mark it sent rolls back

    assert await db.unsent() == 1
    assert len(await read_topic(broker, topic)) == 1

    relay = OutboxRelay(db.engine, db.tables.outbox, broker, clock=clock, poll_interval=0.1)
    await relay.start()
    try:
        await eventually(db.all_sent)
    finally:
        await relay.stop()
    on_topic = await read_topic(broker, topic)
    assert [Envelope.parse_message(r.value).event_id for r in on_topic] == [envelope.event_id] * 2

    runner = ConsumerRunner(
        name=group_name(),
        topics=[topic],
        bootstrap_servers=broker,
        sessionmaker=db.sessions,
        processed_events=db.tables.processed_events,
        handler=db.apply,
        session_timeout_ms=6000,
    )
    await runner.start()
    try:
        await eventually(lambda: runner.handled + runner.skipped == 2)
    finally:
        await runner.stop()
    assert (runner.handled, runner.skipped) == (1, 1)
    assert await db.count(db.effects) == 1
    assert await db.count(db.tables.processed_events) == 1


async def test_event_of_a_rolled_back_transaction_is_never_published(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("rb")
    kept, dropped = person_event(clock, "kept"), person_event(clock, "dropped")
    with pytest.raises(RuntimeError):
        async with transaction(db.sessions) as session:
            await add_event(session, db.tables.outbox, dropped, topic, now=clock.now())
            raise RuntimeError("the state change failed")
    await add_committed(db, topic, kept, clock=clock)
    relay = OutboxRelay(db.engine, db.tables.outbox, broker, clock=clock, poll_interval=0.1)
    await relay.start()
    try:
        await eventually(db.all_sent)
    finally:
        await relay.stop()
    assert [r.key for r in await read_topic(broker, topic)] == [b"kept"]


async def test_lag_gauge_reports_the_oldest_unsent_row(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("lag")
    await add_committed(db, topic, person_event(clock), clock=clock)
    clock.advance(seconds=90)
    relay = OutboxRelay(db.engine, db.tables.outbox, broker, clock=clock, name=f"lag-{topic}")
    # Measured inside the batch before the row is marked sent by a relay that never sends.
    async with db.engine.begin() as conn:
        await relay._measure_lag(conn)
    assert REGISTRY.get_sample_value("duban_outbox_lag_seconds", {"service": relay.name}) == 90


async def test_an_unpublishable_row_blocks_only_its_own_key(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("poison")
    async with transaction(db.sessions) as session:
        await session.execute(
            db.tables.outbox.insert().values(
                event_id="poison-1",
                topic=topic,
                key="big",
                value="x" * 2_000_000,  # over the producer's max_request_size
                created_at=clock.now(),
            )
        )
        for envelope in (person_event(clock, "big"), person_event(clock, "small")):
            await add_event(session, db.tables.outbox, envelope, topic, now=clock.now())
    async with started_producer(broker) as producer:
        relay = OutboxRelay(
            db.engine, db.tables.outbox, broker, clock=clock, producer=producer, name=f"p-{topic}"
        )
        assert await relay.publish_batch() == 1
    assert [r.key for r in await read_topic(broker, topic)] == [b"small"]
    assert await db.unsent() == 2  # the poison row and the event queued behind it
    failures = REGISTRY.get_sample_value(
        "duban_outbox_publish_failures_total", {"service": relay.name}
    )
    assert failures is not None and failures >= 1


async def test_relay_skips_keys_whose_older_row_another_relay_holds(
    pg_db: OutboxDb, broker: str, clock: TestClock
) -> None:
    """Rows k1 k2 k3 of one key; another relay holds k2. Publishing k3 would break order."""
    db = pg_db
    topic = unique_topic("gap")
    events = [person_event(clock, "k", f"v{i}") for i in range(1, 4)]
    other = person_event(clock, "other")
    await add_committed(db, topic, *events, other, clock=clock)
    o = db.tables.outbox
    async with started_producer(broker) as producer:
        relay = OutboxRelay(db.engine, o, broker, clock=clock, producer=producer)
        holder = make_engine(str(db.engine.url.render_as_string(hide_password=False)))
        async with holder.connect() as conn, conn.begin():
            second_id = (await conn.execute(select(o.c.id).order_by(o.c.id).offset(1))).first()
            assert second_id is not None
            await conn.execute(select(o.c.id).where(o.c.id == second_id.id).with_for_update())
            assert await relay.publish_batch() == 2  # v1 and "other"; v3 waits behind v2
        await holder.dispose()
        assert await relay.publish_batch() == 2  # v2 then v3
    on_topic = [Envelope.parse_message(r.value) for r in await read_topic(broker, topic)]
    names = [e.payload["name"] for e in on_topic if e.aggregate_id == "k"]
    assert names == ["v1", "v2", "v3"]


@pytest.mark.slow
class Turns:
    """Two relays made to work at once: the first to hold rows it may publish waits (up to
    10 s) until the other has published some; left to the scheduler, one relay could win
    every race and the other publish nothing."""

    def __init__(self) -> None:
        self.waiting = False
        self.both = asyncio.Event()


class SharingRelay(OutboxRelay):
    turns: Turns

    async def _publish(self, rows: list[Any]) -> list[int]:
        if self.turns.both.is_set():
            return await super()._publish(rows)
        if not self.turns.waiting:
            self.turns.waiting = True  # holding its claim: the other relay must skip these
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.turns.both.wait(), 10)
            return await super()._publish(rows)
        sent = await super()._publish(rows)
        if sent:
            self.turns.both.set()
        return sent


def unconfirmed(caplog: pytest.LogCaptureFixture) -> int:
    """Records a relay published but the broker did not yet show when asked (shared.acks): they
    stay unsent and go again, so each may stand twice on the topic (consumers deduplicate)."""
    counts = [
        r.args[1]
        for r in caplog.records
        if r.name == "shared.acks" and "stay unsent" in str(r.msg) and isinstance(r.args, tuple)
    ]
    return sum(c for c in counts if isinstance(c, int))


async def test_two_relays_publish_every_row_exactly_once_in_order_per_key(
    make_database_url: DatabaseFactory,
    broker: str,
    clock: TestClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Exactly once: neither relay publishes a row the other did. (A record the broker was
    slow to show is published again by design; only those may stand twice.)"""
    caplog.set_level(logging.WARNING, logger="shared.acks")
    url = await make_database_url("postgresql")
    writer = await make_outbox_db(url)
    topic = unique_topic("two")
    engines = [make_engine(url), make_engine(url)]
    turns = Turns()
    relays = [
        SharingRelay(e, writer.tables.outbox, broker, clock=clock, batch_size=40, name=f"r{i}")
        for i, e in enumerate(engines)
    ]
    for relay in relays:
        relay.turns = turns
        await relay.start()
    total = 1200
    try:
        # Written while both relays run, in many small transactions, each waking both. A
        # transaction's 60 rows are six keys of ten: whichever relay claims the first 40 (four
        # keys), the other can publish the last two keys' rows meanwhile.
        for chunk in range(0, total, 60):
            await add_committed(
                writer,
                topic,
                *(
                    person_event(clock, f"agg-{(n - chunk) // 10}", str(n))
                    for n in range(chunk, chunk + 60)
                ),
                clock=clock,
            )
        await eventually(writer.all_sent, within=120)
    finally:
        for relay in relays:
            await relay.stop()
        for engine in engines:
            await engine.dispose()
    assert all(relay.published > 0 for relay in relays), [r.published for r in relays]
    assert sum(relay.published for relay in relays) == total

    records = await read_topic(broker, topic)
    envelopes = [Envelope.parse_message(r.value) for r in records]
    assert total <= len(envelopes) <= total + unconfirmed(caplog), len(envelopes)
    assert len({e.event_id for e in envelopes}) == total
    per_key: dict[str, list[int]] = defaultdict(list)
    seen: set[UUID] = set()
    for record, envelope in zip(records, envelopes, strict=True):
        assert record.key == envelope.aggregate_id.encode()
        if envelope.event_id not in seen:  # as a consumer sees them: deduplicated
            seen.add(envelope.event_id)
            per_key[envelope.aggregate_id].append(int(envelope.payload["name"]))
    for key, seq in per_key.items():
        assert seq == sorted(seq), key
    assert json.loads(records[0].value)["producer"] == "hazard_api"
    await writer.engine.dispose()
