"""The real chain for the county-practice rules: hazard events on the broker, escalation's
consumer and scheduler in a running app, `escalation.step_fired` read back from the broker.

The clock moves from one due step to the next (the app's own scheduler fires each) and to
each event's time (published, then waited for until the consumer has applied it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select

from services.escalation.cases.models import CaseTimer
from services.escalation.db import outbox_tables
from services.escalation.main import create_app
from services.escalation.runtime import Runtime
from shared.clock import TestClock
from shared.contract import (
    ESCALATION_EVENTS,
    HAZARD_EVENTS,
    Envelope,
    HazardEvent,
    Producer,
    StepFired,
)
from tests.escalation.conftest import make_settings
from tests.escalation.stories import Story

WAIT_S = 60.0


async def _eventually(check: object, what: str) -> None:
    assert callable(check)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def _soonest(runtime: Runtime) -> datetime | None:
    async with runtime.engine.connect() as conn:
        soonest = await conn.scalar(select(func.min(CaseTimer.due_at)))
    if soonest is None:
        return None
    assert isinstance(soonest, datetime)
    return soonest.replace(tzinfo=UTC) if soonest.tzinfo is None else soonest


async def _fire_until(runtime: Runtime, clock: TestClock, until: datetime) -> None:
    while True:
        soonest = await _soonest(runtime)
        if soonest is None or soonest > until:
            return
        if soonest > clock.now():
            clock.set(soonest)

        async def fired(due: datetime = soonest) -> bool:
            nxt = await _soonest(runtime)
            return nxt is None or nxt > clock.now() or nxt > due

        await _eventually(fired, f"the scheduler to fire the step due {soonest}")


async def play_chain(
    database_url: str,
    broker: str,
    clock: TestClock,
    stories: Sequence[Story],
    until: datetime,
) -> list[StepFired]:
    """Every story's events through the broker and a running escalation; the steps fired."""
    beats = sorted(
        ((beat, story) for story in stories for beat in story.beats), key=lambda p: p[0].at
    )
    clock.set(beats[0][0].at)
    settings = make_settings(
        database_url,
        kafka_bootstrap_servers=broker,
        consumer_group=f"escalation-{uuid.uuid4().hex[:8]}",
        consumer_session_timeout_ms=3000,  # its first join waits about half of it
        scheduler_poll_seconds=0.05,
        run_auditor=False,
    )
    app = create_app(settings, clock)
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        async with app.router.lifespan_context(app):
            runtime: Runtime = app.state.runtime
            for beat, story in beats:
                await _fire_until(runtime, clock, beat.at)
                clock.set(beat.at)
                envelope = Envelope.of(
                    HazardEvent(event=beat.event, facts=beat.facts),
                    aggregate_id=story.hazard_id,
                    producer=Producer.HAZARD_API,
                    occurred_at=beat.at,
                )
                await producer.send_and_wait(
                    HAZARD_EVENTS, envelope.to_bytes(), key=story.hazard_id.encode()
                )
                await _eventually(
                    lambda e=str(envelope.event_id): _processed(runtime, e),
                    f"the consumer to apply {beat.event.value} of {story.hazard_id}",
                )
            await _fire_until(runtime, clock, until)
            # The consumer group is new, so it also reads earlier tests' hazard events: only
            # this test's hazards count.
            hazards = {s.hazard_id for s in stories}
            expected = await _step_fired_ids(runtime, hazards)
            return await _read_back(broker, expected, hazards)
    finally:
        await producer.stop()


async def _processed(runtime: Runtime, event_id: str) -> bool:
    p = outbox_tables.processed_events
    async with runtime.engine.connect() as conn:
        found = await conn.scalar(select(p.c.event_id).where(p.c.event_id == event_id))
    return found is not None


async def _step_fired_ids(runtime: Runtime, hazards: set[str]) -> set[str]:
    o = outbox_tables.outbox
    async with runtime.engine.connect() as conn:
        values = (await conn.execute(select(o.c.value).where(o.c.key.in_(hazards)))).scalars()
        envelopes = [Envelope.parse_message(v.encode()) for v in values.all()]
    return {str(e.event_id) for e in envelopes if e.type == "escalation.step_fired"}


async def _read_back(broker: str, expected: set[str], hazards: set[str]) -> list[StepFired]:
    """The steps as the relay published them on `escalation.events` (all of them)."""
    consumer = AIOKafkaConsumer(
        ESCALATION_EVENTS,
        bootstrap_servers=broker,
        # No group: every partition from the start at once (a new group's first join waits
        # about half its session timeout, which every chain test paid).
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen: dict[str, StepFired] = {}
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while set(seen) != expected and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=100)
            for records in batches.values():
                for record in records:
                    envelope = Envelope.parse_message(record.value)
                    payload = envelope.typed_payload()
                    if isinstance(payload, StepFired) and payload.hazard_id in hazards:
                        seen[str(envelope.event_id)] = payload
    finally:
        await consumer.stop()
    assert set(seen) == expected, (
        f"the relay did not publish every fired step: {len(seen)} of {len(expected)}, "
        f"{sorted(set(seen) - expected)[:3]} not expected"
    )
    return sorted(
        seen.values(), key=lambda s: (s.due_at, s.hazard_id, s.step_index, s.repeat_index)
    )
