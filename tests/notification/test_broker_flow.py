"""Through the real broker: org.events and a StepFired in, an SMS at the provider emulator
and NotificationChanged out on notification.events."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.notification.db import MIGRATIONS_DIR
from services.notification.directory.models import DirPost
from services.notification.runtime import Runtime
from shared.contract import (
    ESCALATION_EVENTS,
    NOTIFICATION_EVENTS,
    ORG_EVENTS,
    ChainRole,
    Envelope,
    PersonUpserted,
    PostRole,
    UnitKind,
    UnitUpserted,
    Urgency,
)
from shared.db import make_engine
from shared.migrations import upgrade_async
from tests.notification.county import TOWN, envelope_of, org_events, post, step_fired
from tests.notification.harness import wait_for
from tests.notification.settings import aliyun_config, make_settings


async def test_step_fired_in_sms_out_and_event_published(
    database_url, broker, clock, smtp, aliyun
) -> None:
    await upgrade_async(database_url, MIGRATIONS_DIR)
    settings = make_settings(
        database_url,
        smtp.port,
        kafka_bootstrap_servers=broker,
        run_consumers=True,
        run_scheduler=True,
        scheduler_interval_s=0.1,
        consumer_group=f"notif-{uuid.uuid4().hex[:8]}",
        consumer_session_timeout_ms=6000,
        sms_providers=[aliyun_config(aliyun.url)],
    )
    engine = make_engine(database_url)
    runtime = Runtime(settings, engine, clock)
    # The topics are shared by the whole test session: an enterprise and a principal of
    # this test's own, so that no other test's step reaches that phone. (The group reads
    # from the start, though: a quarterly-report reminder an earlier test published reaches
    # every enterprise known by then, this one included, as a text of its own.)
    n = uuid.uuid4().int % 10**8
    firm = UnitUpserted(
        unit_id=f"u-firm-{n}",
        kind=UnitKind.ENTERPRISE,
        name="总线测试有限公司",
        area_code="330001",
        parent_id=TOWN,
        territorial_unit_id=TOWN,
    )
    principal = PersonUpserted(
        person_id=f"p-{n}", name="总线厂长", mobile=f"139{n:08d}", email=f"p-{n}@gov.test"
    )
    directory = [
        *org_events(),
        firm,
        principal,
        post(principal.person_id, firm.unit_id, PostRole.PRINCIPAL, "总经理"),
    ]
    step = step_fired(
        clock,
        roles=[ChainRole.ENTERPRISE_PRINCIPAL],
        urgency=Urgency.URGENT,
        hazard_n=n,
        unit_id=firm.unit_id,
    )
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    await runtime.start()
    try:
        for payload in directory:
            env = envelope_of(payload, clock, key="org")
            await producer.send_and_wait(ORG_EVENTS, env.to_bytes(), key=b"org")
        # The directory first, then the request (the same order hazard_api/escalation keep).
        for _ in range(600):
            async with runtime.sessionmaker() as session:
                if await session.get(DirPost, directory[-1].post_id) is not None:
                    break
            await asyncio.sleep(0.1)
        await producer.send_and_wait(ESCALATION_EVENTS, step.to_bytes(), key=b"case")
        phone = principal.mobile or ""
        code = step.payload["facts"]["code"]

        def this_steps() -> list[Any]:
            return [a for a in aliyun.emulator.sends_to(phone) if a.params.get("code") == code]

        await wait_for(lambda: len(this_steps()) >= 1, 60)
        # One step, one text (a resend would carry the same code); their OutIds tell a resend
        # of one attempt from two attempts.
        sent = this_steps()
        assert len(sent) == 1, (sent, aliyun.emulator.requests)

        consumer = AIOKafkaConsumer(
            NOTIFICATION_EVENTS,
            bootstrap_servers=broker,
            group_id=None,  # every partition at once: no group join to wait for
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            mine: list[Envelope] = []
            for _ in range(300):
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        env = Envelope.parse_message(record.value)
                        if env.payload.get("request_event_id") == str(step.event_id):
                            mine.append(env)
                if {e.payload["channel"] for e in mine} == {"sms", "email"}:
                    break
                await asyncio.sleep(0)
        finally:
            await consumer.stop()
        assert {(e.payload["channel"], e.payload["status"]) for e in mine} == {
            ("sms", "sent"),
            ("email", "sent"),
        }
        assert all(e.type == "notification.changed" and e.producer == "notification" for e in mine)
        assert all(e.aggregate_id == step.payload["hazard_id"] for e in mine)
    finally:
        await runtime.stop()
        await producer.stop()
        await engine.dispose()
