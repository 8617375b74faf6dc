"""A notice that failed for good becomes a task for the county office (通知未送达).

Notification raises `notification.alert` when a delivery failed for good (`delivery_failed`:
one channel, another may still reach the person) or no channel reached the person
(`dead_letter`). Somebody has to pick up the phone, and to correct the number or address:
the task names the person, the hazard, the notice and why it failed. One task per alert
(its id derives from the alert's event id), so a redelivered alert changes nothing.

A step with no case behind it (a campaign's 催办, a 停产整顿 order's 复工复产 step, an
accident's alert) still raises its task: the step in this service's outbox says who was to be
told of what, and a notice nobody hears of is lost. Its task has no case (an accident's may
have the accident's clocks case, found by its id); `hazard_id` is then the campaign's,
order's or accident's id, as on the step.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import service as cases
from services.escalation.db import outbox_tables
from services.escalation.tasks.flows import RaisedTask, raise_task
from services.escalation.tasks.models import Task
from shared.contract import (
    ChainRole,
    Channel,
    Envelope,
    HazardFacts,
    NotificationAlert,
    StepFired,
    TaskKind,
)
from shared.labels import ACTION_LABELS, label

log = logging.getLogger(__name__)

# Alerts about a delivery; "unresolvable" (a role nobody holds) is the directory's business.
DELIVERY_ALERTS = frozenset({"dead_letter", "delivery_failed"})
ALERT_NAMESPACE = uuid.UUID("5b0f3c2e-7a41-5d8e-9c6b-2f1e0d3c4b5a")
TITLE_MAX = 200  # tasks.title
CHANNEL_WORDS = {Channel.SMS: ("短信", "手机号"), Channel.EMAIL: ("邮件", "邮箱地址")}


def alert_task_id(alert_event_id: str) -> str:
    return str(uuid.uuid5(ALERT_NAMESPACE, alert_event_id))


def matter(step: StepFired | None, facts: HazardFacts) -> str:
    """What the notice was about: a hazard, or the order, campaign or accident of a caseless
    step (none of which is a 隐患, and the office must know which it is to make the call)."""
    # 文号 straight after the name, as a hazard's code is: the title may put the phrase in
    # brackets of its own.
    if step is not None and step.suspension is not None:
        return f"{facts.unit_name}停产整顿{step.suspension.order_no}"
    if step is not None and step.campaign is not None:
        c = step.campaign
        return f"{c.name}{c.notice_no or ''}"
    if step is not None and step.accident is not None:
        return f"{facts.unit_name}事故{step.accident.code}"
    return f"{facts.unit_name}隐患{facts.code or facts.hazard_id}"


def undelivered_title(alert: NotificationAlert, about: str, notice: str) -> str:
    """What the county office reads: who, which hazard (or order, campaign, accident) and
    notice, why, what to do."""
    person = alert.person_name or alert.person_id or "有关人员"
    if alert.kind == "dead_letter":
        head = f"{person}未收到{about}的{notice}"
        ask = "。请电话告知本人，并核实其联系方式"
    else:
        channel, address = CHANNEL_WORDS.get(alert.channel or Channel.SMS, ("通知", "联系方式"))
        head = f"{person}的{channel}未送达（{about}的{notice}；其他渠道仍在通知）"
        ask = f"。请核实其{address}"
    return fit_title(head, alert.detail, ask)


def fit_title(head: str, detail: str, ask: str) -> str:
    """`head：detail ask` within the column, shortening the detail (head and ask matter more)."""
    room = TITLE_MAX - len(head) - len(ask) - 1
    if len(detail) > room:
        detail = detail[: max(0, room - 1)] + "…"
    return f"{head}：{detail}{ask}"[:TITLE_MAX]


async def on_alert(
    session: AsyncSession, alert: NotificationAlert, *, event_id: str, now: datetime
) -> None:
    """In the consumer's transaction: the task row and its `task_created` event."""
    if alert.kind not in DELIVERY_ALERTS:
        return
    task_id = alert_task_id(event_id)
    if await session.get(Task, task_id) is not None:
        return
    step = await _step(session, alert.request_event_id)
    case = None
    if step is not None:
        case = await cases.get_case_by_id(session=session, case_id=step.case_id)
    if case is None and alert.hazard_ids:
        case = await cases.get_case(session=session, hazard_id=alert.hazard_ids[0])
    if step is not None:
        # The step says who was to be told of what, case or no case (a campaign's, an order's
        # or an accident's step has none of its own): its id is then the task's hazard_id.
        facts = step.facts
        hazard_id = case.hazard_id if case is not None else step.hazard_id
        notice = f"“{step.step_title or label(ACTION_LABELS, step.action.value)}”通知"
    elif case is not None:
        facts, hazard_id = HazardFacts.model_validate_json(case.facts), case.hazard_id
        notice = "督办通知"
    else:
        log.warning("alert %s names no step or case here; no task", event_id)
        return
    raised = RaisedTask(
        task_id=task_id,
        case_id=case.id if case is not None else None,
        hazard_id=hazard_id,
        kind=TaskKind.NOTICE_UNDELIVERED,
        title=undelivered_title(alert, matter(step, facts), notice),
        assignee=ChainRole.COUNTY_OFFICE,
        step_key=step.step_key if step is not None else "notice",
        repeat_index=step.repeat_index if step is not None else 0,
        due_at=alert.at,
        facts=facts,
    )
    await raise_task(session, raised, namespace=ALERT_NAMESPACE, now=now)


async def _step(session: AsyncSession, request_event_id: str) -> StepFired | None:
    """The step whose notice failed, from this service's own outbox."""
    o = outbox_tables.outbox
    raw = await session.scalar(select(o.c.value).where(o.c.event_id == request_event_id))
    if raw is None:
        return None
    payload = Envelope.parse_message(raw.encode()).typed_payload()
    return payload if isinstance(payload, StepFired) else None
