"""A 停产整顿 order's 复工复产 steps: `suspension.applied` texts the township principal to review
and opens a county-office task closed by the review; a passed review texts the acceptance team
(each supervising department's head, the township principal) with a task due 10 days after
the review, closed by the acceptance's decision or the resumption; a returned review texts the
enterprise's principal. The same event twice sends and opens nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.escalation.runtime import Runtime
from services.escalation.tasks.models import Task
from shared.clock import TestClock
from shared.contract import (
    ChainRole,
    EscalationAction,
    StepFired,
    SuspensionEventType,
    SuspensionStatus,
    TaskClosed,
    TaskKind,
    TaskState,
    Urgency,
)
from shared.responsibility import resolve_role
from tests.escalation.conftest import end_of_day, fired_steps, sh, task_events
from tests.escalation.suspensions import ORDER_NO, SUSPENSION, suspension_event, suspension_facts
from tests.escalation.test_campaign_reminders import consumer, county_directory

Ev = SuspensionEventType
S = SuspensionStatus
R = ChainRole


async def order_tasks(runtime: Runtime) -> list[Task]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(Task).where(Task.hazard_id == SUSPENSION).order_by(Task.created_at)
        )
        return list(rows.all())


def told(steps: list[StepFired]) -> list[tuple[str, str, str]]:
    return sorted((s.step_key, s.facts.unit_id, s.target_roles[0].value) for s in steps)


async def test_an_application_asks_the_township_to_review_and_opens_a_task(
    county: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 3, 8, 10, 0)
    clock.set(at)
    runner = consumer(county, clock)
    applied = suspension_event(Ev.APPLIED, at)
    assert await runner._apply(applied)
    steps = await fired_steps(county, SUSPENSION)
    assert told(steps) == [("suspension_applied", "tw-east", R.TOWNSHIP_PRINCIPAL.value)]
    step = steps[0]
    assert step.action is EscalationAction.RESUMPTION_STEP
    assert step.urgency is Urgency.NORMAL  # working hours: an order is not an emergency
    assert step.step_title == "审核复工复产申请"
    assert step.suspension is not None and step.suspension.order_no == ORDER_NO
    assert step.facts.unit_name == "红星烟花爆竹有限公司" and step.facts.code == ORDER_NO
    (task,) = await order_tasks(county)
    assert task.kind == TaskKind.RESUMPTION_REVIEW.value and task.state == TaskState.OPEN.value
    assert task.assignee_role == R.COUNTY_OFFICE.value and task.case_id is None
    assert task.due_at == end_of_day(2027, 3, 18)  # the procedure's 10 days bound the review
    assert step.task_id == task.id
    assert task.title == (
        "停产整顿（示应急停〔2027〕5号）：红星烟花爆竹有限公司已申请复工复产，"
        "请督促乡镇（街道）及时审核"
    )
    # The broker delivers it again: nothing more is sent or opened.
    assert not await runner._apply(applied)
    assert len(await fired_steps(county, SUSPENSION)) == 1
    assert len(await task_events(county, SUSPENSION)) == 1


@pytest.mark.parametrize(
    ("decision", "note"),
    [
        (Ev.ACCEPTED, "复工复产验收合格"),
        (Ev.ACCEPTANCE_FAILED, "复工复产验收不合格，企业继续停产整顿"),
        (Ev.RESUMED, "企业已复工复产"),
    ],
)
async def test_a_passed_review_asks_the_team_to_accept_within_ten_days(
    county: Runtime, clock: TestClock, decision: SuspensionEventType, note: str
) -> None:
    at = sh(2027, 3, 8, 10, 0)
    clock.set(at)
    runner = consumer(county, clock)
    await runner._apply(suspension_event(Ev.APPLIED, at))
    review_at = sh(2027, 3, 9, 16, 30)
    clock.set(review_at + timedelta(minutes=2))  # consumed a little after the review
    reviewed = suspension_event(
        Ev.REVIEWED, review_at, suspension_facts(S.REVIEWED, reviewed_at=review_at)
    )
    assert await runner._apply(reviewed)
    steps = [s for s in await fired_steps(county, SUSPENSION) if s.step_key != "suspension_applied"]
    assert told(steps) == [
        ("suspension_reviewed", "dep-other", R.DEPARTMENT_HEAD.value),
        ("suspension_reviewed", "dep-yjj", R.DEPARTMENT_HEAD.value),
        ("suspension_reviewed", "tw-east", R.TOWNSHIP_PRINCIPAL.value),
    ]
    due = end_of_day(2027, 3, 19)  # 10 days after the review's Beijing date
    for s in steps:
        assert s.action is EscalationAction.RESUMPTION_STEP and s.urgency is Urgency.NORMAL
        assert s.facts.acceptance_due_at == due and s.step_title == "组织复工复产验收"
    review_task, acceptance = await order_tasks(county)
    assert review_task.state == TaskState.DONE.value  # the review closed the application's
    assert review_task.note == "乡镇（街道）已审核同意，转入复工复产验收"
    assert acceptance.kind == TaskKind.RESUMPTION_ACCEPTANCE.value
    assert acceptance.state == TaskState.OPEN.value and acceptance.due_at == due
    assert acceptance.assignee_role == R.COUNTY_OFFICE.value
    assert "请督促于3月19日前组织验收" in acceptance.title
    assert {s.task_id for s in steps} == {acceptance.id}
    # Redelivered: nothing twice.
    assert not await runner._apply(reviewed)
    assert len(await fired_steps(county, SUSPENSION)) == 4
    # The acceptance team decides (or the enterprise resumes): the task is done, nobody texted.
    decided = review_at + timedelta(days=6)
    clock.set(decided)
    status = {Ev.ACCEPTED: S.ACCEPTED, Ev.ACCEPTANCE_FAILED: S.SUSPENDED, Ev.RESUMED: S.RESUMED}
    facts = suspension_facts(status[decision], reviewed_at=review_at, actor_person_id="p-yjj")
    assert await runner._apply(suspension_event(decision, decided, facts))
    _, acceptance = await order_tasks(county)
    assert acceptance.state == TaskState.DONE.value and acceptance.note == note
    assert acceptance.closed_by == "p-yjj"
    closings = [e for e in await task_events(county, SUSPENSION) if isinstance(e, TaskClosed)]
    assert [e.kind for e in closings] == [
        TaskKind.RESUMPTION_REVIEW,
        TaskKind.RESUMPTION_ACCEPTANCE,
    ]
    assert len(await fired_steps(county, SUSPENSION)) == 4


async def test_a_returned_review_asks_the_enterprise_to_rectify_and_apply_again(
    county: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 3, 8, 10, 0)
    clock.set(at)
    runner = consumer(county, clock)
    await runner._apply(suspension_event(Ev.APPLIED, at))
    back = at + timedelta(days=1)
    clock.set(back)
    returned = suspension_event(Ev.REVIEWED, back, suspension_facts(S.SUSPENDED, reviewed_at=back))
    assert await runner._apply(returned)
    steps = [s for s in await fired_steps(county, SUSPENSION) if s.step_key != "suspension_applied"]
    assert told(steps) == [
        ("suspension_returned", "ent-hongxing", R.ENTERPRISE_PRINCIPAL.value),
    ]
    assert steps[0].facts.acceptance_due_at is None and steps[0].task_id is None
    (task,) = await order_tasks(county)  # no acceptance to organise
    assert task.state == TaskState.DONE.value
    assert task.note == "乡镇（街道）审核未通过，已退回企业继续整改"
    assert not await runner._apply(returned)
    assert len(await fired_steps(county, SUSPENSION)) == 2
    # The enterprise applies again: a new round, a new task for the county office.
    again = back + timedelta(days=5)
    clock.set(again)
    assert await runner._apply(suspension_event(Ev.APPLIED, again))
    tasks = await order_tasks(county)
    assert [t.state for t in tasks] == [TaskState.DONE.value, TaskState.OPEN.value]


async def test_an_order_without_township_or_departments_falls_to_the_chain_resolver(
    county: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 3, 8, 10, 0)
    clock.set(at)
    facts = suspension_facts(S.REVIEWED, township_id=None, department_ids=[], reviewed_at=at)
    await consumer(county, clock)._apply(suspension_event(Ev.REVIEWED, at, facts))
    assert told(await fired_steps(county, SUSPENSION)) == [
        ("suspension_reviewed", "ent-hongxing", R.DEPARTMENT_HEAD.value),
        ("suspension_reviewed", "ent-hongxing", R.TOWNSHIP_PRINCIPAL.value),
    ]


async def test_the_chain_resolver_finds_the_township_and_department_principals(
    county: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 3, 9, 9, 0)
    clock.set(at)
    facts = suspension_facts(S.REVIEWED, reviewed_at=at)
    await consumer(county, clock)._apply(suspension_event(Ev.REVIEWED, at, facts))
    directory = county_directory()
    people = {
        s.facts.unit_id: [e.person_id for e in resolve_role(directory, s.facts.unit_id, r, at=at)]
        for s in await fired_steps(county, SUSPENSION)
        for r in s.target_roles
    }
    assert people == {
        "tw-east": ["p-east-head"],
        "dep-yjj": ["p-yjj-head"],
        "dep-other": ["p-other-head"],
    }


def test_an_older_suspension_event_still_parses() -> None:
    old = suspension_facts().model_dump(mode="json")
    del old["reviewed_at"]
    assert type(suspension_facts()).model_validate(old).reviewed_at is None


def test_due_counts_calendar_days_from_the_reviews_beijing_date() -> None:
    from services.escalation.suspensions.resumption import acceptance_due

    late = sh(2027, 9, 30, 23, 30)  # the day before the National Day holidays
    facts = suspension_facts(S.REVIEWED, reviewed_at=late)
    assert acceptance_due(facts, late + timedelta(hours=2)) == end_of_day(2027, 10, 10)
    assert acceptance_due(suspension_facts(), late) == end_of_day(2027, 10, 10)
