"""Trouble on the upward reporting link becomes a task for the county office (上报异常).

The reporting service raises `reporting.alert` when only a person can settle something: the
provincial system stopped accepting (410), a submission ran out of retries (dead letter), the
city or province asks for information, or an accident report was not acknowledged within the
2-hour clock (the office must report by phone and record it). One task per alert (its id
derives from the alert's event id), so a redelivered alert changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import service as cases
from services.escalation.tasks.alerts import fit_title
from services.escalation.tasks.flows import RaisedTask, raise_task
from services.escalation.tasks.models import Task
from shared.contract import ChainRole, HazardFacts, HazardStatus, ReportingAlert, TaskKind

log = logging.getLogger(__name__)

REPORTING_NAMESPACE = uuid.UUID("8e1d4c7a-2b6f-5a93-8c0e-6f4b2a1d9e37")
KIND_HEADS = {
    "endpoint_disabled": "省级平台停用接收地址",
    "dead_letter": "上报失败转入死信",
    "info_requested": "上级来函要求报送信息",
    "ack_overdue": "事故信息上报未获省级回执，请电话报告",
}
ITEM_WORDS = {"hazard": "隐患", "accident": "事故"}


def reporting_task_id(alert_event_id: str) -> str:
    return str(uuid.uuid5(REPORTING_NAMESPACE, alert_event_id))


def what_to_do(alert: ReportingAlert) -> str:
    """The office's next step, naming the reporting service's API that records it."""
    sid = alert.subject_id
    if alert.kind == "endpoint_disabled":
        return f"请与省级平台核实接收地址，核实后在上报服务重新启用（POST /endpoints/{sid}/enable）"
    if alert.kind == "dead_letter":
        return f"请核实原因后重放（POST /submissions/{sid}/replay）或电话报告"
    if alert.kind == "ack_overdue":
        accident = alert.accident_id or sid
        return f"报告后在上报服务登记电话报告情况（POST /accidents/{accident}/phone-report）"
    return "请按来函要求准备材料并按时报送"


def ids_of(alert: ReportingAlert) -> str:
    """The submission, message or endpoint the alert is about, and the item it concerns."""
    subject = {
        "endpoint_disabled": "接收地址",
        "dead_letter": "上报",
        "info_requested": "来函",
        "ack_overdue": "事故",
    }.get(alert.kind, "编号")
    parts = [f"{subject} {alert.subject_id}"]
    if alert.item_key and alert.kind != "ack_overdue":
        kind, _, item_id = alert.item_key.partition(":")
        parts.append(f"{ITEM_WORDS.get(kind, kind)} {item_id}")
    return "，".join(parts)


def reporting_title(alert: ReportingAlert) -> str:
    head = f"{KIND_HEADS.get(alert.kind, '上报异常')}（{ids_of(alert)}）"
    return fit_title(head, alert.detail, f"。{what_to_do(alert)}")


def subject_facts(alert: ReportingAlert, subject: str) -> HazardFacts:
    """No hazard case to borrow from: the alert itself in the shape the task list reads."""
    return HazardFacts(
        hazard_id=subject,
        status=HazardStatus.REPORTED,
        unit_id="",
        unit_name="省级上报",
        area_code="",
        description=alert.detail,
    )


async def on_reporting_alert(
    session: AsyncSession, alert: ReportingAlert, *, event_id: str, now: datetime
) -> None:
    """In the consumer's transaction: the task row and its `task_created` event."""
    task_id = reporting_task_id(event_id)
    if await session.get(Task, task_id) is not None:
        return
    if alert.kind not in KIND_HEADS:
        log.warning("reporting alert %s of unknown kind %r: a generic task", event_id, alert.kind)
    case = None
    if alert.hazard_ids:
        case = await cases.get_case(session=session, hazard_id=alert.hazard_ids[0])
    subject = (alert.hazard_ids or [alert.accident_id or alert.subject_id])[0][:100]
    facts = (
        HazardFacts.model_validate_json(case.facts)
        if case is not None
        else subject_facts(alert, subject)
    )
    raised = RaisedTask(
        task_id=task_id,
        case_id=case.id if case is not None else None,
        hazard_id=subject,
        kind=TaskKind.REPORTING_ALERT,
        title=reporting_title(alert),
        assignee=ChainRole.COUNTY_OFFICE,
        step_key=f"reporting:{alert.kind}"[:60],
        repeat_index=0,
        due_at=alert.at,
        facts=facts,
    )
    await raise_task(session, raised, namespace=REPORTING_NAMESPACE, now=now)
