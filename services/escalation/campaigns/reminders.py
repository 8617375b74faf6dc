"""A 复工复产 campaign's 催办 reaches the townships and departments (#15).

hazard_api's `campaign.reminded` names, by township and by department, the enterprises not yet
accepted. Each township's principal and each department's head gets a text (working hours: a
campaign is chased, not an emergency) and the county office sees one task per township or
department, refreshed by the next 催办 and closed when that unit has none pending or the
campaign closes. No case chases a campaign: it is hazard_api that decides when to remind.

The step's `facts.unit_id` is the township or department itself, so notification resolves its
principal through the chain resolver as for any unit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.db import outbox_tables
from services.escalation.tasks.flows import RaisedTask, close_task, raise_task
from services.escalation.tasks.models import Task
from shared.contract import (
    ESCALATION_EVENTS,
    CampaignEvent,
    CampaignEventType,
    CampaignFacts,
    ChainRole,
    Envelope,
    EscalationAction,
    HazardFacts,
    HazardStatus,
    Producer,
    StepFired,
    TaskKind,
    TaskState,
    Urgency,
)
from shared.outbox import add_event

POLICY_ID = "campaign-reminder"
POLICY_VERSION = 1
NAMESPACE = uuid.UUID("5e2b7c90-1d4a-5b3c-8e6f-2a1b0c9d8e7f")
CLOSED_NOTE = "复工复产验收工作已结束"
SETTLED_NOTE = "辖区（行业）企业已全部通过复工复产验收"


@dataclass(frozen=True, slots=True)
class Chased:
    """One township or department the 催办 names, and whose principal answers for it."""

    scope: str  # township | department
    unit_id: str
    role: ChainRole
    pending: int


def chased_of(event: CampaignEvent) -> list[Chased]:
    townships = [
        Chased("township", u, ChainRole.TOWNSHIP_PRINCIPAL, len(ids))
        for u, ids in sorted(event.pending_by_township.items())
        if ids
    ]
    departments = [
        Chased("department", u, ChainRole.DEPARTMENT_HEAD, len(ids))
        for u, ids in sorted(event.pending_by_department.items())
        if ids
    ]
    return townships + departments


def task_id(campaign_id: str, unit_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"task/{campaign_id}/{unit_id}"))


def unit_facts(c: CampaignFacts, chased: Chased) -> HazardFacts:
    """The chased unit in the shape the chain resolution reads; the campaign names the matter."""
    return HazardFacts(
        hazard_id=c.campaign_id,
        code=c.notice_no,
        status=HazardStatus.REPORTED,
        unit_id=chased.unit_id,
        unit_name=c.name,
        area_code="",
        township_id=chased.unit_id if chased.scope == "township" else None,
        department_ids=[chased.unit_id] if chased.scope == "department" else [],
        description=f"复工复产验收：{c.name}",
    )


def title_of(c: CampaignFacts, pending: int) -> str:
    notice = f"（{c.notice_no}）" if c.notice_no else ""
    return (
        f"复工复产验收：{c.name}{notice}尚有{pending}家企业未通过验收，请督促验收合格后方可复工复产"
    )


async def send_step(
    session: AsyncSession, c: CampaignFacts, chased: Chased, *, event_id: str, now: datetime
) -> None:
    fired = StepFired(
        case_id=f"campaign:{c.campaign_id}",
        hazard_id=c.campaign_id,
        policy_id=POLICY_ID,
        policy_version=POLICY_VERSION,
        step_key=f"campaign_pending_{chased.scope}",
        step_index=0,
        action=EscalationAction.CAMPAIGN_REMINDER,
        urgency=Urgency.NORMAL,
        target_roles=[chased.role],
        due_at=now,
        fired_at=now,
        facts=unit_facts(c, chased),
        step_title="复工复产验收催办",
        task_id=task_id(c.campaign_id, chased.unit_id),
        campaign=c,
        pending=chased.pending,
    )
    envelope = Envelope.of(
        fired,
        aggregate_id=c.campaign_id,
        producer=Producer.ESCALATION,
        occurred_at=now,
        event_id=uuid.uuid5(NAMESPACE, f"step/{event_id}/{chased.unit_id}"),
    )
    await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)


async def open_or_refresh(
    session: AsyncSession, c: CampaignFacts, chased: Chased, *, now: datetime
) -> None:
    tid = task_id(c.campaign_id, chased.unit_id)
    task = await session.get(Task, tid, with_for_update=True)
    due = c.resume_by or now
    if task is None:
        raised = RaisedTask(
            task_id=tid,
            case_id=None,
            hazard_id=c.campaign_id,
            kind=TaskKind.CAMPAIGN_PENDING,
            title=title_of(c, chased.pending),
            assignee=chased.role,
            step_key=f"campaign_pending_{chased.scope}",
            repeat_index=0,
            due_at=due,
            facts=unit_facts(c, chased),
        )
        await raise_task(session, raised, namespace=NAMESPACE, now=now)
        return
    # The next 催办: the same task with today's count (a closed one is open again).
    task.title, task.due_at = title_of(c, chased.pending), due
    task.repeat_index += 1
    task.facts = unit_facts(c, chased).model_dump_json()
    if task.state != TaskState.OPEN.value:
        task.state, task.closed_at, task.closed_by, task.note = (
            TaskState.OPEN.value,
            None,
            None,
            None,
        )


async def close_open(
    session: AsyncSession, c: CampaignFacts, keep: set[str], *, note: str, now: datetime
) -> None:
    rows = await session.scalars(
        select(Task)
        .where(
            Task.hazard_id == c.campaign_id,
            Task.kind == TaskKind.CAMPAIGN_PENDING.value,
            Task.state == TaskState.OPEN.value,
        )
        .with_for_update()
    )
    by = c.actor_person_id or "system"
    for task in rows.all():
        if task.id not in keep:
            await close_task(session, task, closed_by=by, note=note, now=now)


async def on_campaign(
    session: AsyncSession, event: CampaignEvent, *, event_id: str, now: datetime
) -> None:
    """In the consumer's transaction (a redelivered event is skipped by the consumer, and the
    step's event id is derived from the source's, so the outbox refuses a second copy)."""
    c = event.facts
    if event.event is CampaignEventType.CLOSED:
        await close_open(session, c, set(), note=CLOSED_NOTE, now=now)
        return
    if event.event is not CampaignEventType.REMINDED:
        return
    chased = chased_of(event)
    for unit in chased:
        await send_step(session, c, unit, event_id=event_id, now=now)
        await open_or_refresh(session, c, unit, now=now)
    keep = {task_id(c.campaign_id, u.unit_id) for u in chased}
    await close_open(session, c, keep, note=SETTLED_NOTE, now=now)
