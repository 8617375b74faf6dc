"""A 停产整顿 order's 复工复产 steps reach whoever's turn it is (DOMAIN §5).

hazard_api's suspension events say where the order stands; each step is told to its doer, in
working hours (an order waits for its enterprise, it is not an emergency):
- `suspension.applied`: the township principal must review the application; the county office
  sees a task, closed by the review.
- `suspension.reviewed`, passed: the acceptance team (each supervising department's head and
  the township principal) must organise the 复工复产验收 within 10 days of the review; the
  county office's task is closed by the acceptance's decision or the resumption.
- `suspension.reviewed`, returned: the enterprise's principal must rectify and apply again.

Like a campaign's 催办, each step's `facts.unit_id` is the unit whose principal acts, so
notification resolves them through the chain resolver; the townships and departments are the
order's own (`facts.township_id`, `facts.department_ids`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.db import outbox_tables
from services.escalation.tasks.flows import RaisedTask, close_task, raise_task
from services.escalation.tasks.models import Task
from shared.clock import SHANGHAI
from shared.contract import (
    ESCALATION_EVENTS,
    ChainRole,
    Envelope,
    EscalationAction,
    HazardFacts,
    HazardStatus,
    Producer,
    StepFired,
    SuspensionEvent,
    SuspensionEventType,
    SuspensionFacts,
    SuspensionStatus,
    TaskKind,
    TaskState,
    Urgency,
)
from shared.outbox import add_event

POLICY_ID = "suspension-resumption"
POLICY_VERSION = 1
NAMESPACE = uuid.UUID("7d4f1a36-2c8e-5b90-a1d3-6e5f4c3b2a19")
ACCEPTANCE_DAYS = 10  # 复工复产验收 within 10 (calendar) days of the township's review
TITLE_LIMIT = 200  # the task table's column
Ev = SuspensionEventType

APPLIED, REVIEWED, RETURNED = "suspension_applied", "suspension_reviewed", "suspension_returned"
STEP_TITLES = {
    APPLIED: "审核复工复产申请",
    REVIEWED: "组织复工复产验收",
    RETURNED: "复工复产申请退回整改",
}
# What closes the county office's tasks: the next step of the procedure.
CLOSES: dict[Ev, tuple[TaskKind, ...]] = {
    Ev.REVIEWED: (TaskKind.RESUMPTION_REVIEW,),
    Ev.ACCEPTED: (TaskKind.RESUMPTION_REVIEW, TaskKind.RESUMPTION_ACCEPTANCE),
    Ev.ACCEPTANCE_FAILED: (TaskKind.RESUMPTION_REVIEW, TaskKind.RESUMPTION_ACCEPTANCE),
    Ev.RESUMED: (TaskKind.RESUMPTION_REVIEW, TaskKind.RESUMPTION_ACCEPTANCE),
}
NOTES = {
    Ev.ACCEPTED: "复工复产验收合格",
    Ev.ACCEPTANCE_FAILED: "复工复产验收不合格，企业继续停产整顿",
    Ev.RESUMED: "企业已复工复产",
}
PASSED_NOTE = "乡镇（街道）已审核同意，转入复工复产验收"
RETURNED_NOTE = "乡镇（街道）审核未通过，已退回企业继续整改"


@dataclass(frozen=True, slots=True)
class Doer:
    """A unit whose principal takes this step, and the chain role that answers for it."""

    unit_id: str
    role: ChainRole


def passed(event: SuspensionEvent) -> bool:
    """The review passed: the order went on to acceptance (returned, it is back in 整顿)."""
    return event.facts.status is SuspensionStatus.REVIEWED


def township_of(s: SuspensionFacts) -> Doer:
    # Without a township on the order the resolver finds the enterprise's own in the directory.
    return Doer(s.township_id or s.unit_id, ChainRole.TOWNSHIP_PRINCIPAL)


def acceptance_team(s: SuspensionFacts) -> list[Doer]:
    # No supervising department on the order: the resolver's (the county office at the last).
    departments = [Doer(d, ChainRole.DEPARTMENT_HEAD) for d in dict.fromkeys(s.department_ids)] or [
        Doer(s.unit_id, ChainRole.DEPARTMENT_HEAD)
    ]
    return [*departments, township_of(s)]


def ten_days_after(at: datetime) -> datetime:
    """The end of the 10th calendar day after `at`'s Beijing date (no holiday table: calendar
    days)."""
    day = at.astimezone(SHANGHAI).date() + timedelta(days=ACCEPTANCE_DAYS)
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


def acceptance_due(s: SuspensionFacts, now: datetime) -> datetime:
    return ten_days_after(s.reviewed_at or now)


def step_facts(s: SuspensionFacts, doer: Doer, due: datetime | None) -> HazardFacts:
    """The step in the shape the chain resolution reads: the doer's unit, the enterprise's name,
    the order's 文号 as the code; the order's township and departments may read its dossier."""
    return HazardFacts(
        hazard_id=s.suspension_id,
        code=s.order_no,
        status=HazardStatus.REPORTED,
        unit_id=doer.unit_id,
        unit_name=s.unit_name,
        area_code="",
        township_id=s.township_id,
        department_ids=s.department_ids,
        description=f"停产整顿复工复产：{s.unit_name}",
        acceptance_due_at=due,
    )


def task_id(kind: TaskKind, event_id: str) -> str:
    """One task per application and per passed review (an order may go round again)."""
    return str(uuid.uuid5(NAMESPACE, f"task/{kind.value}/{event_id}"))


async def send_step(
    session: AsyncSession,
    s: SuspensionFacts,
    doer: Doer,
    key: str,
    *,
    due: datetime | None,
    task: str | None,
    event_id: str,
    now: datetime,
) -> None:
    fired = StepFired(
        case_id=f"suspension:{s.suspension_id}",
        hazard_id=s.suspension_id,
        policy_id=POLICY_ID,
        policy_version=POLICY_VERSION,
        step_key=key,
        step_index=0,
        action=EscalationAction.RESUMPTION_STEP,
        urgency=Urgency.NORMAL,
        target_roles=[doer.role],
        due_at=now,
        fired_at=now,
        facts=step_facts(s, doer, due),
        step_title=STEP_TITLES[key],
        task_id=task,
        suspension=s,
    )
    envelope = Envelope.of(
        fired,
        aggregate_id=s.suspension_id,
        producer=Producer.ESCALATION,
        occurred_at=now,
        event_id=uuid.uuid5(NAMESPACE, f"step/{event_id}/{doer.unit_id}/{doer.role.value}"),
    )
    await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)


async def open_task(
    session: AsyncSession,
    s: SuspensionFacts,
    kind: TaskKind,
    key: str,
    title: str,
    *,
    tid: str,
    due: datetime,
    now: datetime,
) -> None:
    raised = RaisedTask(
        task_id=tid,
        case_id=None,
        hazard_id=s.suspension_id,
        kind=kind,
        title=f"停产整顿（{s.order_no}）：{s.unit_name}{title}"[:TITLE_LIMIT],
        assignee=ChainRole.COUNTY_OFFICE,
        step_key=key,
        repeat_index=0,
        due_at=due,
        facts=step_facts(s, Doer(s.unit_id, ChainRole.COUNTY_OFFICE), due),
    )
    await raise_task(session, raised, namespace=NAMESPACE, now=now)


async def close_open(
    session: AsyncSession,
    s: SuspensionFacts,
    kinds: tuple[TaskKind, ...],
    *,
    note: str,
    now: datetime,
) -> None:
    rows = await session.scalars(
        select(Task)
        .where(
            Task.hazard_id == s.suspension_id,
            Task.kind.in_([k.value for k in kinds]),
            Task.state == TaskState.OPEN.value,
        )
        .with_for_update()
    )
    for task in rows.all():
        await close_task(session, task, closed_by=s.actor_person_id or "system", note=note, now=now)


async def on_applied(
    session: AsyncSession, s: SuspensionFacts, *, event_id: str, now: datetime
) -> None:
    tid = task_id(TaskKind.RESUMPTION_REVIEW, event_id)
    township = township_of(s)
    await send_step(session, s, township, APPLIED, due=None, task=tid, event_id=event_id, now=now)
    title = "已申请复工复产，请督促乡镇（街道）及时审核"
    kind = TaskKind.RESUMPTION_REVIEW
    # No period is set for the township's review alone; the 10 days that DOMAIN §5 gives the
    # whole procedure bound it (due at the application itself, it read as overdue at once).
    due = ten_days_after(now)
    await open_task(session, s, kind, APPLIED, title, tid=tid, due=due, now=now)


async def on_reviewed(
    session: AsyncSession, event: SuspensionEvent, *, event_id: str, now: datetime
) -> None:
    s = event.facts
    if not passed(event):
        await close_open(session, s, CLOSES[Ev.REVIEWED], note=RETURNED_NOTE, now=now)
        enterprise = Doer(s.unit_id, ChainRole.ENTERPRISE_PRINCIPAL)
        await send_step(
            session, s, enterprise, RETURNED, due=None, task=None, event_id=event_id, now=now
        )
        return
    await close_open(session, s, CLOSES[Ev.REVIEWED], note=PASSED_NOTE, now=now)
    due = acceptance_due(s, now)
    tid = task_id(TaskKind.RESUMPTION_ACCEPTANCE, event_id)
    for doer in acceptance_team(s):
        await send_step(session, s, doer, REVIEWED, due=due, task=tid, event_id=event_id, now=now)
    day = due.astimezone(SHANGHAI)
    title = f"复工复产申请已经乡镇（街道）审核同意，请督促于{day.month}月{day.day}日前组织验收"
    kind = TaskKind.RESUMPTION_ACCEPTANCE
    await open_task(session, s, kind, REVIEWED, title, tid=tid, due=due, now=now)


async def on_suspension(
    session: AsyncSession, event: SuspensionEvent, *, event_id: str, now: datetime
) -> None:
    """In the consumer's transaction (a redelivered event is skipped by the consumer, and the
    steps' and tasks' event ids are derived from the source's, so the outbox refuses a second
    copy)."""
    match event.event:
        case Ev.APPLIED:
            await on_applied(session, event.facts, event_id=event_id, now=now)
        case Ev.REVIEWED:
            await on_reviewed(session, event, event_id=event_id, now=now)
        case Ev.ACCEPTED | Ev.ACCEPTANCE_FAILED | Ev.RESUMED:
            await close_open(
                session, event.facts, CLOSES[event.event], note=NOTES[event.event], now=now
            )
        case _:
            return
