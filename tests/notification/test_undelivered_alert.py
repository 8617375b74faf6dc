"""A notice still failing at the end of the retry horizon fails for good: the alert event is
emitted, escalation (its consumer handler on its own database) records a task for the county
office that names the person, the hazard and why, and the metric counts it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from httpx import ASGITransport, AsyncClient
from prometheus_client import REGISTRY
from sqlalchemy import select

from services.escalation.runtime import Runtime as EscalationRuntime
from services.escalation.tasks import service as tasks_service
from services.escalation.tasks.views import task_out
from services.notification.db import outbox_tables
from services.notification.delivery.models import Delivery
from services.notification.main import create_app
from shared.broker import free_port
from shared.clock import TestClock
from shared.contract import (
    ChainRole,
    Envelope,
    HazardEventType,
    HazardLevel,
    HazardStatus,
    NotificationAlert,
    StepFired,
    TaskCreated,
)
from tests.escalation.conftest import (
    deliver,
    hazard_event,
    make_facts,
    make_settings,
    outbox_events,
    run_until,
    start_runtime,
)
from tests.notification.county import DEPT, FIRM, TOWN, org_events
from tests.notification.settings import aliyun_config

METRIC = "notification_deliveries_failed_total"


@pytest.fixture
async def escalation(
    db_kind: str, make_database_url, clock: TestClock
) -> AsyncIterator[EscalationRuntime]:
    url = await make_database_url(db_kind)
    runtime = await start_runtime(url, clock, make_settings(url).policies_dir)
    yield runtime
    await runtime.engine.dispose()


def failed_so_far(channel: str) -> float:
    return REGISTRY.get_sample_value(METRIC, {"channel": channel}) or 0.0


async def alert_envelopes(h) -> list[Envelope]:
    o = outbox_tables.outbox
    async with h.runtime.engine.connect() as conn:
        values = (await conn.execute(select(o.c.value).order_by(o.c.id))).scalars().all()
    envelopes = [Envelope.model_validate_json(v) for v in values]
    return [e for e in envelopes if e.type == "notification.alert"]


async def test_failed_for_good_alert_becomes_a_county_office_task(
    make_harness, aliyun, escalation: EscalationRuntime, clock: TestClock
):
    # Escalation fires the order to rectify a major hazard at the notification test's firm.
    facts = make_facts(
        code="YH-2026-0042",
        level=HazardLevel.MAJOR,
        grade=3,
        status=HazardStatus.RECTIFYING,
        unit_id=FIRM,
        unit_name="示范建材有限公司",
        township_id=TOWN,
        department_ids=[DEPT],
        classified_at=clock.now(),
        deadline_at=clock.now() + timedelta(days=30),
    )
    await deliver(escalation, hazard_event(HazardEventType.CLASSIFIED, facts, clock.now()))
    await run_until(escalation, clock, clock.now() + timedelta(hours=1))
    [step_envelope, *_] = await outbox_events(escalation, "escalation.step_fired")
    step = step_envelope.typed_payload()
    assert isinstance(step, StepFired) and ChainRole.ENTERPRISE_PRINCIPAL in step.target_roles

    # Notification: the SMS provider and the mail server stay down past the horizon.
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)],
        default_channels=["sms"],
        smtp_port=free_port(),  # nothing listens there
        retry_horizon_s=600,
    )
    aliyun.emulator.mode = "5xx"
    sms_before, email_before = failed_so_far("sms"), failed_so_far("email")
    await h.org(org_events())
    await h.step(step_envelope)
    for _ in range(12):
        await h.settle()
        h.clock.advance(seconds=60)
    await h.settle()
    async with h.runtime.sessionmaker() as session:
        deliveries = list(await session.scalars(select(Delivery)))
    people = {d.person_id for d in deliveries}
    assert "p-firm" in people
    assert {d.status for d in deliveries} <= {"failed", "dead"}
    assert all(d.next_attempt_at is None for d in deliveries)
    assert {d.channel for d in deliveries} == {"sms", "email"}  # urgent: email opened at once

    envelopes = await alert_envelopes(h)
    alerts = [a for a in (e.typed_payload() for e in envelopes) if isinstance(a, NotificationAlert)]
    assert len(alerts) == len(envelopes)
    kinds = sorted((a.person_id, a.kind) for a in alerts)
    assert kinds == sorted(
        [(p, "dead_letter") for p in people] + [(p, "delivery_failed") for p in people]
    )
    assert failed_so_far("sms") - sms_before == len(people)
    assert failed_so_far("email") - email_before == len(people)
    app = create_app(h.runtime.settings, h.clock)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        exposed = (await client.get("/metrics")).text
    assert f'{METRIC}{{channel="sms"}}' in exposed

    # Escalation's consumer handler turns each alert into a task (a redelivery changes nothing).
    for envelope in [*envelopes, *envelopes]:
        await deliver(escalation, envelope)
    async with escalation.sessionmaker() as session:
        rows, _ = await tasks_service.open_tasks(session=session, limit=100, offset=0)
        tasks = [task_out(t) for t in rows]
    undelivered = [t for t in tasks if t.kind == "notice_undelivered"]
    assert len(undelivered) == len(alerts)
    assert {t.assignee_role for t in undelivered} == {ChainRole.COUNTY_OFFICE}
    assert {t.kind_label for t in undelivered} == {"通知未送达，请核实"}
    assert {(t.hazard_id, t.hazard_code) for t in undelivered} == {(facts.hazard_id, facts.code)}
    firm = sorted(t.title for t in undelivered if "厂长壬" in t.title)
    assert len(firm) == 2
    dead, failed = firm  # "厂长壬未收到…" sorts before "厂长壬的…"
    assert dead.startswith("厂长壬未收到示范建材有限公司隐患YH-2026-0042的“")
    assert "短信与邮件均未能送达" in dead and "10分钟内多次重试仍未成功" in dead
    assert dead.endswith("请电话告知本人，并核实其联系方式")
    assert failed.startswith("厂长壬的短信未送达（示范建材有限公司隐患YH-2026-0042的“")
    assert "其他渠道仍在通知）：10分钟内多次重试仍未成功：500 isp.SYSTEM_ERROR" in failed
    assert failed.endswith("请核实其手机号")
    created = [
        e.typed_payload() for e in await outbox_events(escalation, "escalation.task_created")
    ]
    assert {c.task_id for c in created if isinstance(c, TaskCreated)} >= {
        t.task_id for t in undelivered
    }
