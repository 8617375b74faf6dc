"""The consumer runner: DLQ for poison messages, bounded retries, commits, shutdown, dedupe."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import TestClock
from shared.consumer import ConsumerRunner, Handler, PermanentError, start_all
from shared.contract import Envelope, dlq_topic
from tests.conftest import DatabaseFactory, unique_topic
from tests.shared.support import (
    OutboxDb,
    eventually,
    group_name,
    make_outbox_db,
    person_event,
    produce,
    read_topic,
)


def make_runner(
    db: OutboxDb, broker: str, topic: str, handler: Handler, name: str | None = None
) -> ConsumerRunner:
    return ConsumerRunner(
        name=name or group_name(),
        topics=[topic],
        bootstrap_servers=broker,
        sessionmaker=db.sessions,
        processed_events=db.tables.processed_events,
        handler=handler,
        max_retries=2,
        retry_backoff=0.01,
        session_timeout_ms=6000,
    )


def message(envelope: Envelope) -> tuple[bytes, bytes]:
    return envelope.aggregate_id.encode(), envelope.to_bytes()


async def test_unparsable_events_go_to_the_dlq_with_their_error_and_the_next_one_applies(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("poison")
    good = person_event(clock, "p1")
    unknown_type = good.model_copy(update={"type": "org.no_such_event"}).to_bytes()
    await produce(broker, topic, [(b"p1", b"{not json"), (b"p1", unknown_type), message(good)])
    runner = make_runner(db, broker, topic, db.apply)
    await runner.start()
    try:
        await eventually(lambda: runner.handled == 1 and runner.dead_lettered == 2)
    finally:
        await runner.stop()
    assert await db.count(db.effects) == 1

    dead = [json.loads(r.value) for r in await read_topic(broker, dlq_topic(topic))]
    assert [d["original"]["text"] for d in dead] == ["{not json", unknown_type.decode()]
    assert dead[0]["error"].startswith("unparsable event:")
    assert "org.no_such_event" in dead[1]["error"]
    assert [(d["source_topic"], d["offset"], d["key"]) for d in dead] == [
        (topic, 0, "p1"),
        (topic, 1, "p1"),
    ]
    labels = {"consumer": runner.name, "topic": topic}
    assert REGISTRY.get_sample_value("duban_consumer_dead_lettered_total", labels) == 2
    assert REGISTRY.get_sample_value("duban_consumer_handled_total", labels) == 1


async def test_failing_handler_is_retried_a_bounded_number_of_times_then_dead_lettered(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("retry")
    flaky, permanent, good = (person_event(clock, k) for k in ("flaky", "perm", "good"))
    attempts: Counter[str] = Counter()

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        attempts[envelope.aggregate_id] += 1
        await db.apply(session, envelope)  # rolled back with the failure below
        if envelope.aggregate_id == "flaky":
            raise RuntimeError("boom")
        if envelope.aggregate_id == "perm":
            raise PermanentError("hazard h-1 does not exist")

    await produce(broker, topic, [message(e) for e in (flaky, permanent, good)])
    runner = make_runner(db, broker, topic, handler)
    await runner.start()
    try:
        await eventually(lambda: runner.handled == 1 and runner.dead_lettered == 2)
    finally:
        await runner.stop()

    assert attempts == {"flaky": 3, "perm": 1, "good": 1}  # max_retries=2 → 3 attempts
    assert await db.count(db.effects) == 1
    # Dead letters are noted (the repair must not pull them again); only "good" was applied.
    p = db.tables.processed_events
    async with db.engine.connect() as conn:
        outcomes = dict((await conn.execute(select(p.c.event_id, p.c.outcome))).all())
    assert sorted(outcomes.values()) == ["applied", "dead_lettered", "dead_lettered"]
    assert outcomes[str(good.event_id)] == "applied"
    dead = {
        d["key"]: d
        for d in map(json.loads, (r.value for r in await read_topic(broker, dlq_topic(topic))))
    }
    assert dead["flaky"]["error"] == "RuntimeError: boom"
    assert dead["perm"]["error"] == "PermanentError: hazard h-1 does not exist"
    assert Envelope.parse_message(dead["flaky"]["original"]["text"].encode()) == flaky


async def test_a_redelivered_event_is_applied_once(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("dup")
    event = person_event(clock)
    await produce(broker, topic, [message(event), message(event)])
    runner = make_runner(db, broker, topic, db.apply)
    await runner.start()
    try:
        await eventually(lambda: runner.handled + runner.skipped == 2)
    finally:
        await runner.stop()
    assert (runner.handled, runner.skipped) == (1, 1)
    assert await db.count(db.effects) == 1


async def test_a_partitions_records_share_one_transaction_unless_one_fails(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("batch")
    events = [person_event(clock, f"p{i}") for i in range(12)]
    events[5] = person_event(clock, "flaky")
    events[9] = person_event(clock, "perm")
    sessions: dict[int, AsyncSession] = {}  # held, so no id is reused
    attempts: Counter[str] = Counter()

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        sessions[id(session)] = session
        attempts[envelope.aggregate_id] += 1
        await db.apply(session, envelope)  # rolled back with a failure anywhere in its batch
        if envelope.aggregate_id == "flaky":
            raise RuntimeError("boom")
        if envelope.aggregate_id == "perm":
            raise PermanentError("not for us")

    # One key: one partition, in this order, all there before the runner's first fetch.
    await produce(broker, topic, [(b"one-key", e.to_bytes()) for e in events])
    runner = make_runner(db, broker, topic, handler)
    await runner.start()
    try:
        await eventually(lambda: runner.handled == 10 and runner.dead_lettered == 2)
    finally:
        await runner.stop()
    assert await db.count(db.effects) == 10
    assert await db.count(db.tables.processed_events) == 12  # 10 applied, 2 dead letters noted
    # The failed batch attempt counts: 3 attempts for max_retries=2, and one for a PermanentError.
    assert attempts["flaky"] == 3 and attempts["perm"] == 1
    # Before, between and after the two failures, records went together: p0–p4 (twice: the
    # batch that met flaky was rolled back), p6–p8 (twice), p10–p11; flaky's three attempts.
    assert len(sessions) < len(events)
    assert attempts["p0"] == 2 and attempts["p10"] == 1


async def committed_offset(broker: str, group: str, topic: str) -> int | None:
    """The group's committed offset on the (single) partition that holds the topic's records."""
    (partition,) = {r.partition for r in await read_topic(broker, topic)}
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=group)
    await consumer.start()
    try:
        result: int | None = await consumer.committed(TopicPartition(topic, partition))
        return result
    finally:
        await consumer.stop()


async def test_offsets_follow_committed_handler_transactions_and_stop_is_clean(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    """The database goes away on the second event: the runner keeps retrying it (no DLQ),
    stops cleanly on request, and has committed the offset of the first event only."""
    topic = unique_topic("commit")
    events = [person_event(clock, "same", f"v{i}") for i in range(3)]
    await produce(broker, topic, [message(e) for e in events])
    group = group_name()
    calls: Counter[str] = Counter()

    async def outage_on_second(session: AsyncSession, envelope: Envelope) -> None:
        calls[envelope.payload["name"]] += 1
        if envelope.payload["name"] == "v1":
            raise ConnectionRefusedError("database unreachable")
        await db.apply(session, envelope)

    first = make_runner(db, broker, topic, outage_on_second, name=group)
    await first.start()
    try:
        await eventually(lambda: calls["v1"] >= 4)  # beyond max_retries: not dead-lettered
    finally:
        await first.stop()
    assert first.handled == 1 and first.dead_lettered == 0
    assert await committed_offset(broker, group, topic) == 1
    assert await db.count(db.effects) == 1

    calls.clear()

    async def healthy(session: AsyncSession, envelope: Envelope) -> None:
        calls[envelope.payload["name"]] += 1
        await db.apply(session, envelope)

    second = make_runner(db, broker, topic, healthy, name=group)
    await second.start()
    try:
        await eventually(lambda: second.handled == 2)
    finally:
        await second.stop()
    assert calls == {"v1": 1, "v2": 1}  # resumed at the committed offset
    assert await committed_offset(broker, group, topic) == 3
    assert await db.count(db.effects) == 3
    assert await read_topic(broker, dlq_topic(topic), wait=1) == []


@pytest.mark.slow
async def test_a_rebalance_loses_nothing_and_applies_nothing_twice(
    make_database_url: DatabaseFactory, broker: str, clock: TestClock
) -> None:
    db = await make_outbox_db(await make_database_url("postgresql"))
    topic = unique_topic("rebalance")
    group = group_name()
    events = [person_event(clock, f"k{i % 16}", str(i)) for i in range(400)]
    first = make_runner(db, broker, topic, db.apply, name=group)
    second = make_runner(db, broker, topic, db.apply, name=group)
    await produce(broker, topic, [message(e) for e in events[:200]])
    await first.start()
    try:
        await eventually(lambda: first.handled > 0)
        # A second member joins while the first is busy: partitions move between them.
        await second.start()
        await produce(broker, topic, [message(e) for e in events[200:]])
        await eventually(lambda: first.handled + second.handled == 400, within=90)
        await eventually(lambda: bool(second.handled), within=60)
    finally:
        await second.stop()
        await first.stop()
    assert await db.count(db.effects) == 400
    assert await db.count(db.tables.processed_events) == 400
    records = await read_topic(broker, topic)
    ends: dict[int, int] = {}
    for r in records:
        ends[r.partition] = max(ends.get(r.partition, 0), r.offset + 1)
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=group)
    await consumer.start()
    try:
        for partition, end in ends.items():
            assert await consumer.committed(TopicPartition(topic, partition)) == end
    finally:
        await consumer.stop()
    await db.engine.dispose()


async def test_stop_cancels_a_stuck_handler_without_committing_its_record(
    make_database_url: DatabaseFactory, broker: str, clock: TestClock
) -> None:
    db = await make_outbox_db(await make_database_url("sqlite"))
    topic = unique_topic("stuck")
    await produce(broker, topic, [message(person_event(clock))])
    entered = asyncio.Event()

    async def stuck(session: AsyncSession, envelope: Envelope) -> None:
        await db.apply(session, envelope)
        entered.set()
        await asyncio.Event().wait()  # never returns

    runner = make_runner(db, broker, topic, stuck)
    runner.stop_timeout = 0.5
    await runner.start()
    try:
        await asyncio.wait_for(entered.wait(), 30)
    finally:
        await asyncio.wait_for(runner.stop(), 30)
    assert runner.handled == 0
    assert await db.count(db.effects) == 0  # the handler's transaction rolled back
    assert await db.count(db.tables.processed_events) == 0
    assert await committed_offset(broker, runner.name, topic) is None
    await db.engine.dispose()


class Traced(ConsumerRunner):
    """A runner that notes when its start begins and ends (joining its group in between)."""

    def __init__(self, trace: list[str], *args: object, fail: bool = False, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.trace, self.fail = trace, fail

    async def start(self) -> None:
        self.trace.append(f"{self.name} begins")
        if self.fail:
            await asyncio.sleep(0)
            raise RuntimeError("broker refused")
        await super().start()
        self.trace.append(f"{self.name} started")


def traced(trace: list[str], db: OutboxDb, broker: str, name: str, fail: bool = False) -> Traced:
    return Traced(
        trace,
        name=name,
        topics=[unique_topic("start")],
        bootstrap_servers=broker,
        sessionmaker=db.sessions,
        processed_events=db.tables.processed_events,
        handler=db.apply,
        session_timeout_ms=6000,
        fail=fail,
    )


async def test_a_services_consumers_join_their_groups_side_by_side(
    db: OutboxDb, broker: str
) -> None:
    """Each start waits for its group's first join: one after another the waits added up."""
    trace: list[str] = []
    a, b = (traced(trace, db, broker, group_name()) for _ in range(2))
    await start_all([a, b])
    try:
        assert sorted(trace[:2]) == sorted([f"{a.name} begins", f"{b.name} begins"]), trace
        assert a._consumer is not None and b._consumer is not None
    finally:
        await a.stop()
        await b.stop()


async def test_when_one_consumer_cannot_start_the_others_are_stopped_again(
    db: OutboxDb, broker: str
) -> None:
    trace: list[str] = []
    good, bad = traced(trace, db, broker, group_name()), traced(trace, db, broker, "x", fail=True)
    with pytest.raises(RuntimeError, match="broker refused"):
        await start_all([good, bad])
    assert f"{good.name} started" in trace
    assert good._consumer is None and good._task is None  # left its group, loop ended
