"""The reporting service's `reporting.alert` (#16) opens one 上报异常 task for the county office
per alert, worded by kind with the ids and what to do; the same event twice opens one; through
the broker the topic is consumed and a malformed alert goes to `reporting.events.dlq`."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.escalation.db import outbox_tables
from services.escalation.main import create_app
from services.escalation.runtime import Runtime
from services.escalation.tasks.models import Task
from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.contract import (
    REPORTING_EVENTS,
    ChainRole,
    Envelope,
    HazardEventType,
    Producer,
    ReportingAlert,
    TaskCreated,
    TaskKind,
    TaskState,
    dlq_topic,
)
from tests.escalation.conftest import (
    bearer,
    deliver,
    hazard_event,
    make_facts,
    make_settings,
    outbox_events,
    sh,
)
from tests.shared.support import eventually, produce, read_topic

WEBHOOK_ID = "msg_2fQ9xkR7dVbN3cL8"
HAZARD = "hz-reporting-1"
ACCIDENT = "acc-7c1e"


def alert_event(at: datetime, kind: str, **fields: object) -> Envelope:
    alert = ReportingAlert.model_validate(
        {"kind": kind, "detail": f"（{kind} 的说明）", "at": at, **fields}
    )
    subject = str(fields.get("item_key") or fields["subject_id"])
    return Envelope.of(alert, aggregate_id=subject, producer=Producer.REPORTING, occurred_at=at)


def alerts(at: datetime) -> dict[str, Envelope]:
    return {
        "endpoint_disabled": alert_event(at, "endpoint_disabled", subject_id="province"),
        "dead_letter": alert_event(
            at,
            "dead_letter",
            subject_id=WEBHOOK_ID,
            item_key=f"hazard:{HAZARD}",
            hazard_ids=[HAZARD],
        ),
        "info_requested": alert_event(
            at,
            "info_requested",
            subject_id="city-req-0042",
            item_key=f"accident:{ACCIDENT}",
            accident_id=ACCIDENT,
        ),
        "ack_overdue": alert_event(
            at,
            "ack_overdue",
            subject_id=ACCIDENT,
            item_key=f"accident:{ACCIDENT}",
            accident_id=ACCIDENT,
        ),
    }


# What each task's title must say: the kind, the ids, and what to do.
EXPECTED = {
    "endpoint_disabled": [
        "省级平台停用接收地址（接收地址 province）",
        "POST /endpoints/province/enable",
    ],
    "dead_letter": [
        f"上报失败转入死信（上报 {WEBHOOK_ID}，隐患 {HAZARD}）",
        f"重放（POST /submissions/{WEBHOOK_ID}/replay）或电话报告",
    ],
    "info_requested": [
        f"上级来函要求报送信息（来函 city-req-0042，事故 {ACCIDENT}）",
        "按时报送",
    ],
    "ack_overdue": [
        f"事故信息上报未获省级回执，请电话报告（事故 {ACCIDENT}）",
        f"登记电话报告情况（POST /accidents/{ACCIDENT}/phone-report）",
    ],
}


def runner(runtime: Runtime, clock: TestClock) -> ConsumerRunner:
    """The real consumer's apply (its event-id bookkeeping), minus the broker."""
    return ConsumerRunner(
        name="escalation",
        topics=[REPORTING_EVENTS],
        bootstrap_servers="127.0.0.1:1",
        sessionmaker=runtime.sessionmaker,
        processed_events=outbox_tables.processed_events,
        handler=runtime.flows.handle,
        clock=clock,
    )


async def reporting_tasks(runtime: Runtime) -> list[Task]:
    async with runtime.sessionmaker() as session:
        kind = TaskKind.REPORTING_ALERT.value
        return list((await session.scalars(select(Task).where(Task.kind == kind))).all())


async def created_events(runtime: Runtime) -> list[TaskCreated]:
    found = [e.typed_payload() for e in await outbox_events(runtime)]
    return [p for p in found if isinstance(p, TaskCreated) and p.kind is TaskKind.REPORTING_ALERT]


@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_each_alert_kind_opens_one_county_office_task_worded_for_it(
    runtime: Runtime, clock: TestClock, kind: str
) -> None:
    at = sh(2027, 3, 2, 10, 15)
    clock.set(at)
    event = alerts(at)[kind]
    await deliver(runtime, event)
    [task] = await reporting_tasks(runtime)
    assert task.assignee_role == ChainRole.COUNTY_OFFICE.value
    assert task.state == TaskState.OPEN.value and task.case_id is None
    assert len(task.title) <= 200
    for words in EXPECTED[kind]:
        assert words in task.title, task.title
    assert f"（{kind} 的说明）" in task.title
    [created] = await created_events(runtime)
    assert created.task_id == task.id and created.title == task.title


async def test_the_same_alert_twice_opens_one_task(runtime: Runtime, clock: TestClock) -> None:
    at = sh(2027, 3, 2, 10, 15)
    clock.set(at)
    event = alerts(at)["ack_overdue"]
    consumer = runner(runtime, clock)
    assert await consumer._apply(event)
    assert not await consumer._apply(event)  # the broker delivers it again
    await deliver(runtime, event)  # even past the consumer's bookkeeping: the task id holds
    assert len(await reporting_tasks(runtime)) == 1
    assert len(await created_events(runtime)) == 1


async def test_an_alert_naming_a_chased_hazard_joins_its_case(
    runtime: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 3, 2, 10, 15)
    clock.set(at)
    facts = make_facts(hazard_id=HAZARD, classified_at=at)
    await deliver(runtime, hazard_event(HazardEventType.RECTIFICATION_STARTED, facts, at))
    await deliver(runtime, alerts(at)["dead_letter"])
    [task] = await reporting_tasks(runtime)
    assert task.case_id is not None and task.hazard_id == HAZARD
    assert json.loads(task.facts)["unit_name"] == facts.unit_name


async def test_via_broker_an_alert_is_a_listed_task_and_a_malformed_one_dead_lettered(
    database_url: str, broker: str, clock: TestClock
) -> None:
    at = sh(2027, 3, 2, 10, 15)
    clock.set(at)
    tag = uuid.uuid4().hex[:8]
    good = alert_event(at, "endpoint_disabled", subject_id=f"province-{tag}")
    bad = json.loads(alert_event(at, "dead_letter", subject_id=f"sub-{tag}").to_bytes())
    del bad["payload"]["detail"]  # a reporting.alert without what the office reads
    await produce(
        broker,
        REPORTING_EVENTS,
        # One key, one partition: the good one is handled after the bad one went to the DLQ.
        [(tag.encode(), json.dumps(bad).encode()), (tag.encode(), good.to_bytes())],
    )
    settings = make_settings(
        database_url,
        kafka_bootstrap_servers=broker,
        consumer_group=f"escalation-{tag}",
        consumer_session_timeout_ms=6000,
        run_relay=False,
        run_scheduler=False,
        run_auditor=False,
    )
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime

        async def listed() -> list[dict[str, Any]]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
                headers = bearer(clock)
                body = (await client.get("/tasks?limit=500", headers=headers)).json()
            return [t for t in body["items"] if tag in t["title"]]

        async def one_listed() -> bool:
            return len(await listed()) == 1

        await eventually(one_listed)
        [task] = await listed()
        assert task["kind"] == "reporting_alert" and task["kind_label"] == "上报异常，请处理"
        assert task["title"].startswith(f"省级平台停用接收地址（接收地址 province-{tag}）")
        assert task["case_id"] is None and task["unit_name"] == "省级上报"
        assert len(await reporting_tasks(runtime)) >= 1

    dead = [json.loads(r.value) for r in await read_topic(broker, dlq_topic(REPORTING_EVENTS))]
    mine = [d for d in dead if f"sub-{tag}" in d["original"]["text"]]
    assert len(mine) == 1 and "unparsable event" in mine[0]["error"]
