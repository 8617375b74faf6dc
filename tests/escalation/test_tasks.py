"""Steps that ask a person to decide (约谈, 停产整顿, 督办函 …) create tasks for the county
office; `GET /tasks` lists the open ones and `POST /tasks/{id}/done` closes one with a note."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.escalation.config import DEFAULT_POLICIES_DIR
from services.escalation.main import create_app
from services.escalation.policy.loader import PolicySet
from services.escalation.runtime import Runtime
from shared.bearer import encode_token
from shared.clock import TestClock, local
from shared.contract import (
    Channel,
    Envelope,
    EscalationAction,
    HazardEventType,
    HazardLevel,
    HazardStatus,
    SuspensionEventType,
    TaskClosed,
    TaskCreated,
)
from tests.escalation.campaigns import CAMPAIGN
from tests.escalation.conftest import (
    deliver,
    end_of_day,
    fired_steps,
    hazard_event,
    make_facts,
    make_settings,
    outbox_events,
    run_until,
    sh,
    undelivered_alert,
)
from tests.escalation.suspensions import ORDER_NO, SUSPENSION, suspension_event
from tests.escalation.test_campaign_reminders import consumer, reminded

# hazard_api's signing key, as escalation is told it (ESCALATION_BEARER_KEY).
SECRET = "hazard-api-signing-key-for-tests-0123456789"


@pytest.fixture
async def app(database_url: str, clock: TestClock) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        bearer_key=SECRET,
        run_consumer=False,
        run_relay=False,
        run_scheduler=False,
        run_auditor=False,
    )
    application = create_app(settings, clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as c:
        yield c


def auth(clock: TestClock, role: str) -> dict[str, str]:
    token = encode_token(
        {"sub": f"u-{role}", "role": role}, secret_key=SECRET, clock=clock, minutes=600
    )
    return {"Authorization": f"Bearer {token}"}


async def overdue_major(runtime: Runtime, clock: TestClock) -> str:
    clock.set(sh(2026, 3, 2, 10, 0))
    facts = make_facts(
        code="YH-2026-0007",
        level=HazardLevel.MAJOR,
        grade=3,
        status=HazardStatus.RECTIFYING,
        classified_at=clock.now(),
        deadline_at=end_of_day(2026, 3, 6),
    )
    await deliver(runtime, hazard_event(HazardEventType.CLASSIFIED, facts, clock.now()))
    await run_until(runtime, clock, sh(2026, 3, 20, 12, 0))
    return facts.hazard_id


async def test_overdue_steps_create_tasks_for_the_county_office(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    runtime: Runtime = app.state.runtime
    hazard_id = await overdue_major(runtime, clock)

    task_steps = [s for s in await fired_steps(runtime) if s.action is EscalationAction.TASK]
    assert [(s.step_key, local(s.due_at).strftime("%m-%d %H:%M")) for s in task_steps] == [
        ("letter_due", "03-10 09:00"),  # 2 working days overdue
        ("interview_due", "03-13 09:00"),  # 5
        ("suspension_due", "03-20 09:00"),  # 10
    ]
    created = [e.typed_payload() for e in await outbox_events(runtime, "escalation.task_created")]
    assert all(isinstance(c, TaskCreated) for c in created)
    assert [c.task_id for c in created] == [s.task_id for s in task_steps]  # type: ignore[attr-defined]

    listed = await client.get("/tasks", headers=auth(clock, "county_office"))
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 3
    assert [
        (t["kind"], t["kind_label"], t["assignee_role"], t["state"]) for t in body["items"]
    ] == [
        ("supervision_letter", "建议发督办函", "county_office", "open"),
        ("interview", "建议约谈", "county_office", "open"),
        ("suspension", "建议停产整顿", "county_office", "open"),
    ]
    assert {(t["hazard_id"], t["hazard_code"]) for t in body["items"]} == {
        (hazard_id, "YH-2026-0007")
    }

    interview = body["items"][1]["task_id"]
    done = await client.post(
        f"/tasks/{interview}/done",
        json={"note": "已于3月16日约谈企业主要负责人，见某安委办〔2026〕3号"},
        headers=auth(clock, "county_office"),
    )
    assert done.status_code == 200
    assert done.json()["state"] == "done" and done.json()["closed_by"] == "u-county_office"
    left = (await client.get("/tasks", headers=auth(clock, "county_office"))).json()
    assert [t["kind"] for t in left["items"]] == ["supervision_letter", "suspension"]
    closed = [e.typed_payload() for e in await outbox_events(runtime, "escalation.task_closed")]
    assert len(closed) == 1 and isinstance(closed[0], TaskClosed)
    assert closed[0].task_id == interview and closed[0].note.startswith("已于3月16日约谈")

    again = await client.post(
        f"/tasks/{interview}/done", json={"note": "再次"}, headers=auth(clock, "county_office")
    )
    assert again.status_code == 409 and again.json()["detail"] == "该待办事项已办结，不能重复办结"


def _follow(schema: dict[str, Any], operation: str, answer: httpx.Response, name: str) -> str:
    """The task id that the OpenAPI link `name` of `operation`'s 200 takes from `answer`,
    resolved as a client (or schemathesis) resolves it: a JSON pointer into the body."""
    method, path = operation.split(" ", 1)
    link = schema["paths"][path][method.lower()]["responses"]["200"]["links"][name]
    expression = link["parameters"]["task_id"]
    prefix = "$response.body#/"
    assert expression.startswith(prefix), expression
    value: Any = answer.json()
    for part in expression.removeprefix(prefix).split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    assert isinstance(value, str)
    return value


async def test_the_openapi_links_close_a_task_and_then_meet_409(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    """The links the stateful run follows, followed by hand: the list's "Done" closes its
    first task, and "DoneAgain" from that answer is refused. (The stateful exploration takes
    the second link only when its draws happen to, so this is where the 409 is proven.)"""
    await overdue_major(app.state.runtime, clock)
    office = auth(clock, "county_office")
    schema = (await client.get("/openapi.json")).json()
    listed = await client.get("/tasks", headers=office)
    first = _follow(schema, "GET /tasks", listed, "Done")
    assert first == listed.json()["items"][0]["task_id"]
    done = await client.post(f"/tasks/{first}/done", json={"note": "已办结"}, headers=office)
    assert done.status_code == 200 and done.json()["state"] == "done"
    again = _follow(schema, "POST /tasks/{task_id}/done", done, "DoneAgain")
    assert again == first
    refused = await client.post(f"/tasks/{again}/done", json={"note": "再次"}, headers=office)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "该待办事项已办结，不能重复办结"


async def test_tasks_answer_only_the_county_office(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    await overdue_major(app.state.runtime, clock)
    tasks = (await client.get("/tasks", headers=auth(clock, "county_office"))).json()["items"]
    some = tasks[0]["task_id"]

    anonymous = await client.get("/tasks")
    assert anonymous.status_code == 401 and anonymous.json()["detail"] == (
        "未登录或登录已过期，请重新登录"
    )
    for role in ("township", "department", "enterprise"):
        refused = await client.get("/tasks", headers=auth(clock, role))
        assert refused.status_code == 403
        assert refused.json()["detail"] == "只有县安委办可以查看和办理督办待办事项"
        closing = await client.post(
            f"/tasks/{some}/done", json={"note": "x"}, headers=auth(clock, role)
        )
        assert closing.status_code == 403
    missing = await client.post(
        "/tasks/no-such-task/done", json={"note": "x"}, headers=auth(clock, "county_office")
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "未找到该待办事项"
    empty = await client.post(
        f"/tasks/{some}/done", json={"note": ""}, headers=auth(clock, "county_office")
    )
    assert empty.status_code == 422


def test_default_policies_never_announce_a_sanction() -> None:
    """督办函, 通报 and 移交纪检 are decisions of people: the default policies may only
    recommend them as tasks, never send them as texts."""
    sanctions = {
        EscalationAction.SUPERVISION_LETTER,
        EscalationAction.BULLETIN,
        EscalationAction.REFER_DISCIPLINE,
    }
    for policy in PolicySet.load(DEFAULT_POLICIES_DIR).policies:
        for step in policy.steps:
            assert step.action not in sanctions, (policy.id, step.key)
            if step.action is EscalationAction.TASK:
                assert "建议" in step.title, (policy.id, step.key)
                assert step.targets[0].value == "county_office", (policy.id, step.key)


async def one_undelivered(
    runtime: Runtime, client: httpx.AsyncClient, clock: TestClock, alert: Envelope
) -> Any:
    """The alert, delivered twice (the broker may), is one open task on `GET /tasks`."""
    await deliver(runtime, alert)
    await deliver(runtime, alert)
    items = (await client.get("/tasks", headers=auth(clock, "county_office"))).json()["items"]
    [task] = [t for t in items if t["kind"] == "notice_undelivered"]
    created = [e.typed_payload() for e in await outbox_events(runtime, "escalation.task_created")]
    assert [
        c.task_id for c in created if isinstance(c, TaskCreated) and c.kind == "notice_undelivered"
    ] == [task["task_id"]]
    assert task["case_id"] is None and task["assignee_role"] == "county_office"
    return task


async def test_a_suspension_steps_undelivered_notice_is_a_caseless_task(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    """No case chases a 停产整顿 order: the step in the outbox still names whom it missed."""
    runtime: Runtime = app.state.runtime
    clock.set(sh(2027, 3, 8, 10, 0))
    await consumer(runtime, clock)._apply(
        suspension_event(SuspensionEventType.APPLIED, clock.now())
    )
    detail = "短信与邮件均未能送达：24小时内多次重试仍未成功"
    alert = await undelivered_alert(
        runtime,
        SUSPENSION,
        "suspension_applied",
        kind="dead_letter",
        person_id="p-east-head",
        person_name="东镇镇长甲",
        detail=detail,
    )
    task = await one_undelivered(runtime, client, clock, alert)
    assert (task["hazard_id"], task["hazard_code"]) == (SUSPENSION, ORDER_NO)
    assert task["unit_name"] == "红星烟花爆竹有限公司"
    assert task["title"] == (
        f"东镇镇长甲未收到红星烟花爆竹有限公司停产整顿{ORDER_NO}的“审核复工复产申请”通知："
        f"{detail}。请电话告知本人，并核实其联系方式"
    )
    office = auth(clock, "county_office")
    done = await client.post(
        f"/tasks/{task['task_id']}/done", json={"note": "已电话告知"}, headers=office
    )
    assert done.status_code == 200 and done.json()["case_id"] is None
    [closed] = [e.typed_payload() for e in await outbox_events(runtime, "escalation.task_closed")]
    assert isinstance(closed, TaskClosed) and closed.hazard_id == SUSPENSION


async def test_a_campaign_reminders_undelivered_text_is_a_caseless_task(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    runtime: Runtime = app.state.runtime
    clock.set(sh(2027, 2, 18, 9, 0))
    await consumer(runtime, clock)._apply(reminded(clock.now(), {}, {"dep-yjj": ["e1"]}))
    alert = await undelivered_alert(
        runtime,
        CAMPAIGN,
        "campaign_pending_department",
        kind="delivery_failed",
        person_id="p-yjj-head",
        person_name="应急局局长乙",
        channel=Channel.SMS,
        detail="空号",
    )
    task = await one_undelivered(runtime, client, clock, alert)
    assert (task["hazard_id"], task["hazard_code"]) == (CAMPAIGN, "示安委办〔2027〕3号")
    assert task["title"] == (
        "应急局局长乙的短信未送达（2027年春节后复工复产示安委办〔2027〕3号的"
        "“复工复产验收催办”通知；其他渠道仍在通知）：空号。请核实其手机号"
    )
