"""A notice that failed for good becomes a task for the county office (通知未送达).

Notification raises `notification.alert` when a delivery failed for good (`delivery_failed`:
one channel, another may still reach the person) or no channel reached the person
(`dead_letter`). Somebody has to pick up the phone, and to correct the number or address:
the task names the person, the hazard, the notice and why it failed. One task per alert
(its id derives from the alert's event id), so a redelivered alert changes nothing.
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


def undelivered_title(alert: NotificationAlert, facts: HazardFacts, notice: str) -> str:
    """What the county office reads: who, which hazard and notice, why, what to do."""
    person = alert.person_name or alert.person_id or "有关人员"
    hazard = f"{facts.unit_name}隐患{facts.code or facts.hazard_id}"
    if alert.kind == "dead_letter":
        head = f"{person}未收到{hazard}的{notice}"
        ask = "。请电话告知本人，并核实其联系方式"
    else:
        channel, address = CHANNEL_WORDS.get(alert.channel or Channel.SMS, ("通知", "联系方式"))
        head = f"{person}的{channel}未送达（{hazard}的{notice}；其他渠道仍在通知）"
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
    if case is None:
        log.warning("alert %s names no case here; no task", event_id)
        return
    facts = step.facts if step is not None else HazardFacts.model_validate_json(case.facts)
    notice = "督办通知"
    if step is not None:
        notice = f"“{step.step_title or label(ACTION_LABELS, step.action.value)}”通知"
    title = undelivered_title(alert, facts, notice)
    step_key = step.step_key if step is not None else "notice"
    raised = RaisedTask(
        task_id=task_id,
        case_id=case.id,
        hazard_id=case.hazard_id,
        kind=TaskKind.NOTICE_UNDELIVERED,
        title=title,
        assignee=ChainRole.COUNTY_OFFICE,
        step_key=step_key,
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
