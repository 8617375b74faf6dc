"""Through the real broker: a hazard event in, a fired step out on `escalation.events`."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.escalation.cases import service
from services.escalation.main import create_app
from services.escalation.runtime import Runtime
from shared.clock import TestClock
from shared.contract import ESCALATION_EVENTS, HAZARD_EVENTS, Envelope, StepFired
from shared.contract import HazardEventType as E
from tests.escalation.conftest import (
    LEGACY_POLICIES,
    end_of_day,
    hazard_event,
    make_facts,
    make_settings,
    sh,
)


async def test_hazard_event_in_step_fired_out(
    database_url: str, broker: str, clock: TestClock
) -> None:
    clock.set(sh(2026, 9, 21, 10, 0))
    facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        started = hazard_event(E.RECTIFICATION_STARTED, facts, clock.now())
        await producer.send_and_wait(
            HAZARD_EVENTS, started.to_bytes(), key=facts.hazard_id.encode()
        )
    finally:
        await producer.stop()

    settings = make_settings(
        database_url,
        kafka_bootstrap_servers=broker,
        consumer_group=f"escalation-{uuid.uuid4().hex[:8]}",
        consumer_session_timeout_ms=6000,
        scheduler_poll_seconds=0.2,
        run_auditor=False,
        policies_dir=LEGACY_POLICIES,
    )
    app = create_app(settings, clock)
    out = AIOKafkaConsumer(
        ESCALATION_EVENTS,
        bootstrap_servers=broker,
        group_id=None,  # every partition at once: no group join to wait for
        auto_offset_reset="earliest",
    )
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        # The case exists once the consumer has handled the event; then time moves on.
        for _ in range(600):
            if await case_exists(runtime, facts.hazard_id):
                break
            await asyncio.sleep(0.05)
        clock.set(sh(2026, 9, 29, 9, 0))
        await out.start()
        try:
            fired = await read_step_fired(out, facts.hazard_id)
        finally:
            await out.stop()
    assert (fired.step_key, fired.due_at) == ("remind_3wd", sh(2026, 9, 29, 9, 0))
    assert fired.facts.hazard_id == facts.hazard_id
    assert [r.value for r in fired.target_roles] == [
        "enterprise.principal",
        "enterprise.safety_manager",
        "township.in_charge",
    ]


async def case_exists(runtime: Runtime, hazard_id: str) -> bool:
    async with runtime.sessionmaker() as session:
        return await service.get_case(session=session, hazard_id=hazard_id) is not None


async def read_step_fired(consumer: AIOKafkaConsumer, hazard_id: str) -> StepFired:
    for _ in range(600):
        batches = await consumer.getmany(timeout_ms=100)
        for records in batches.values():
            for record in records:
                envelope = Envelope.parse_message(record.value)
                payload = envelope.typed_payload()
                if isinstance(payload, StepFired) and payload.hazard_id == hazard_id:
                    return payload
    raise AssertionError(f"no step_fired for {hazard_id} on {ESCALATION_EVENTS}")


async def test_a_lock_announced_on_org_events_refuses_the_token(
    database_url: str, broker: str, clock: TestClock
) -> None:
    """hazard_api's `org.account_changed` through the broker: escalation records it and the
    locked account's token is refused (#17)."""
    import httpx

    from services.escalation.accounts.service import state_of
    from shared.contract import ORG_EVENTS, AccountChanged, Producer
    from tests.escalation.conftest import bearer

    clock.set(sh(2026, 9, 21, 10, 0))
    user_id = f"u-{uuid.uuid4().hex[:8]}"
    token = bearer(clock, user_id=user_id)
    clock.advance(minutes=1)
    locked = Envelope.of(
        AccountChanged(user_id=user_id, active=False, tokens_valid_from=clock.now()),
        aggregate_id=user_id,
        producer=Producer.HAZARD_API,
        occurred_at=clock.now(),
    )
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(ORG_EVENTS, locked.to_bytes(), key=user_id.encode())
    finally:
        await producer.stop()
    settings = make_settings(
        database_url,
        kafka_bootstrap_servers=broker,
        consumer_group=f"escalation-{uuid.uuid4().hex[:8]}",
        consumer_session_timeout_ms=6000,
        run_scheduler=False,
        run_auditor=False,
        policies_dir=LEGACY_POLICIES,
    )
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        for _ in range(600):
            async with runtime.sessionmaker() as session:
                if await state_of(user_id, session=session) is not None:
                    break
            await asyncio.sleep(0.05)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
            refused = await client.get("/tasks", headers=token)
            assert refused.status_code == 401
            other = await client.get("/tasks", headers=bearer(clock, user_id="u-other"))
            assert other.status_code == 200
