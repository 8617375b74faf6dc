"""瞒报 and 漏报 as tasks (#15): a media-first accident opens a 瞒报 review for the county office;
a quick report missing required items is chased until a 续报 supplies them, then falls
silent and its task closes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.escalation.cases import service as cases
from services.escalation.runtime import Runtime
from services.escalation.tasks.models import Task
from shared.clock import TestClock
from shared.contract import (
    AccidentEventType,
    ChainRole,
    EscalationAction,
    TaskCreated,
    TaskKind,
    TaskState,
)
from tests.escalation.accidents import clock_steps, keys_until, make_accident, moved, tell
from tests.escalation.conftest import deliver, sh, task_events, undelivered_alert

Ev = AccidentEventType


async def tasks_of(runtime: Runtime, accident_id: str) -> list[Task]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(Task).where(Task.hazard_id == accident_id))
        return list(rows.all())


async def test_media_first_accident_opens_a_concealment_review_for_the_county_office(
    county: Runtime, clock: TestClock
) -> None:
    start = sh(2026, 3, 11, 10, 0)
    clock.set(start)
    a = make_accident(start, start + timedelta(hours=3), channel="media", concealment_review=True)
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    await tell(county, clock, Ev.CONCEALMENT_REVIEW_OPENED, a, a.received_at)
    await tell(county, clock, Ev.CONCEALMENT_REVIEW_OPENED, a, a.received_at)  # again: once
    [task] = await tasks_of(county, a.accident_id)
    assert task.kind == TaskKind.CONCEALMENT_REVIEW.value
    assert task.assignee_role == ChainRole.COUNTY_OFFICE.value
    assert task.state == TaskState.OPEN.value
    assert "瞒报" in task.title and "媒体报道" in task.title and a.code in task.title
    [created] = await task_events(county, a.accident_id)
    assert isinstance(created, TaskCreated) and created.kind is TaskKind.CONCEALMENT_REVIEW
    # A person records the finding with evidence: the review is done.
    found = start + timedelta(days=1)
    settled = moved(a, concealment_review=False, actor_person_id="p-yjj")
    await tell(county, clock, Ev.FINDING_RECORDED, settled, found)
    [task] = await tasks_of(county, a.accident_id)
    assert task.state == TaskState.DONE.value and task.closed_by == "p-yjj"


async def test_enterprise_report_opens_no_concealment_review(
    county: Runtime, clock: TestClock
) -> None:
    start = sh(2026, 3, 11, 10, 0)
    clock.set(start)
    a = make_accident(start, start + timedelta(minutes=20))
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    assert await tasks_of(county, a.accident_id) == []


async def test_missing_items_chased_until_the_follow_up_supplies_them(
    county: Runtime, clock: TestClock
) -> None:
    start = sh(2026, 3, 11, 10, 0)  # a Wednesday morning
    clock.set(start)
    items = ["伤亡人数（死亡、失踪、重伤）"]
    a = make_accident(
        start,
        start + timedelta(minutes=20),
        deaths=None,
        serious_injuries=None,
        missing_items=items,
    )
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    await tell(county, clock, Ev.INCOMPLETE_FLAGGED, a, a.received_at)
    [task] = await tasks_of(county, a.accident_id)
    assert task.kind == TaskKind.MISSING_ITEMS.value
    assert task.assignee_role == ChainRole.TOWNSHIP_PRINCIPAL.value
    assert items[0] in task.title
    aid = a.accident_id
    assert await keys_until(county, clock, aid, sh(2026, 3, 11, 12, 19), "items") == []
    assert await keys_until(county, clock, aid, sh(2026, 3, 12, 12, 20), "items") == [
        "items_chase",
        "items_chase",
    ]
    [first, _] = await clock_steps(county, aid, "items")
    assert first.action is EscalationAction.ACCIDENT_ITEMS_REMINDER
    assert set(first.target_roles) >= {
        ChainRole.ENTERPRISE_PRINCIPAL,
        ChainRole.TOWNSHIP_PRINCIPAL,
    }
    # The 补报 gives the casualties: the chase stops and the task closes.
    supplied = moved(a, deaths=1, serious_injuries=0, missing_items=[])
    at = sh(2026, 3, 12, 15, 0)
    await tell(county, clock, Ev.FOLLOW_UP, supplied, at)
    assert await keys_until(county, clock, aid, sh(2026, 3, 31), "items") == [
        "items_chase",
        "items_chase",
    ]
    [task] = await tasks_of(county, aid)
    assert task.state == TaskState.DONE.value and task.note == "缺项已补报"
    assert [type(e).__name__ for e in await task_events(county, aid)] == [
        "TaskCreated",
        "TaskClosed",
    ]


async def test_an_accident_alert_that_reached_nobody_is_a_task_naming_the_accident(
    county: Runtime, clock: TestClock
) -> None:
    """The immediate alert's step has no case of its own; the accident's clocks case (keyed by
    its id) carries the task, and the title calls it an accident, not a hazard."""
    start = sh(2026, 3, 11, 10, 0)
    clock.set(start)
    a = make_accident(start, start + timedelta(minutes=20))
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    alert = await undelivered_alert(
        county,
        a.accident_id,
        "accident_reported",
        kind="dead_letter",
        person_id="p-county-head",
        person_name="县长丙",
        detail="短信与邮件均未能送达",
    )
    await deliver(county, alert)
    await deliver(county, alert)  # redelivered: still one task
    [task] = await tasks_of(county, a.accident_id)
    async with county.sessionmaker() as session:
        case = await cases.get_case(session=session, hazard_id=a.accident_id)
    assert case is not None and task.case_id == case.id
    assert task.kind == TaskKind.NOTICE_UNDELIVERED.value
    assert task.title == (
        "县长丙未收到大坪乡红星烟花爆竹有限公司事故SG-2026-0001的“生产安全事故快报”通知："
        "短信与邮件均未能送达。请电话告知本人，并核实其联系方式"
    )
