"""Consumes escalation and notification events into per-hazard timeline entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.hazard_api.db import outbox_tables
from services.hazard_api.timeline.models import EntryKind, TimelineEntry
from shared.consumer import ConsumerRunner
from shared.contract import (
    ESCALATION_EVENTS,
    NOTIFICATION_EVENTS,
    AuditorAnomaly,
    CaseChanged,
    Channel,
    Envelope,
    EscalationAction,
    NotificationChanged,
    NotificationStatus,
    StepFired,
    Urgency,
)

CONSUMER_NAME = "hazard_api.timeline"

ACTION_LABELS = {
    EscalationAction.REMINDER: "到期提醒",
    EscalationAction.OVERDUE_NOTICE: "逾期整改通知",
    EscalationAction.SUPERVISION_LETTER: "督办函",
    EscalationAction.BULLETIN: "通报",
    EscalationAction.PROPOSE_LISTING: "建议挂牌督办",
    EscalationAction.RAISE_LISTING: "提级挂牌",
    EscalationAction.REFER_DISCIPLINE: "移交纪检监察",
    EscalationAction.ACCEPTANCE_REMINDER: "验收催办",
}
CHANNEL_LABELS = {Channel.SMS: "短信", Channel.EMAIL: "邮件"}
NOTIFICATION_KINDS = {
    NotificationStatus.SENT: EntryKind.NOTICE,
    NotificationStatus.DELIVERED: EntryKind.DELIVERY,
    NotificationStatus.FAILED: EntryKind.DELIVERY,
    NotificationStatus.ACKNOWLEDGED: EntryKind.ACKNOWLEDGEMENT,
}
NOTIFICATION_VERBS = {
    NotificationStatus.SENT: "已发送",
    NotificationStatus.DELIVERED: "已送达",
    NotificationStatus.FAILED: "发送失败",
    NotificationStatus.ACKNOWLEDGED: "已确认收到",
}


def _entries(envelope: Envelope) -> list[dict[str, Any]]:
    payload = envelope.typed_payload()
    base = {"event_id": str(envelope.event_id), "source": envelope.producer}
    match payload:
        case StepFired():
            urgency = "紧急" if payload.urgency == Urgency.URGENT else "常规"
            roles = "、".join(r.value for r in payload.target_roles)
            summary = f"督办升级：{ACTION_LABELS[payload.action]}（{urgency}），通知 {roles}"
            return [
                base
                | {
                    "hazard_id": payload.hazard_id,
                    "at": payload.fired_at,
                    "kind": EntryKind.ESCALATION_STEP.value,
                    "summary": summary,
                }
            ]
        case CaseChanged():
            return [
                base
                | {
                    "hazard_id": payload.hazard_id,
                    "at": envelope.occurred_at,
                    "kind": EntryKind.ESCALATION_CASE.value,
                    "summary": f"督办案件状态：{payload.state}（{payload.reason}）",
                }
            ]
        case AuditorAnomaly():
            return [
                base
                | {
                    "hazard_id": payload.hazard_id,
                    "at": envelope.occurred_at,
                    "kind": EntryKind.ANOMALY.value,
                    "summary": f"督办异常：{payload.kind} {payload.detail}",
                }
            ]
        case NotificationChanged():
            verb = NOTIFICATION_VERBS[payload.status]
            summary = f"{CHANNEL_LABELS[payload.channel]}通知{payload.person_name}：{verb}"
            if payload.detail:
                summary += f"（{payload.detail}）"
            return [
                base
                | {
                    "hazard_id": hazard_id,
                    "at": payload.at,
                    "kind": NOTIFICATION_KINDS[payload.status].value,
                    "summary": summary,
                }
                for hazard_id in dict.fromkeys(payload.hazard_ids)
            ]
    return []


async def handle(session: AsyncSession, envelope: Envelope) -> None:
    detail = envelope.payload
    for entry in _entries(envelope):
        entry["summary"] = entry["summary"][:300]
        session.add(TimelineEntry(**entry, detail=detail | {"type": envelope.type}))


def timeline_consumer(
    *,
    bootstrap_servers: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    session_timeout_ms: int,
    name: str = CONSUMER_NAME,
    **kwargs: Any,
) -> ConsumerRunner:
    return ConsumerRunner(
        name=name,
        topics=[ESCALATION_EVENTS, NOTIFICATION_EVENTS],
        bootstrap_servers=bootstrap_servers,
        sessionmaker=sessionmaker,
        processed_events=outbox_tables.processed_events,
        handler=handle,
        session_timeout_ms=session_timeout_ms,
        **kwargs,
    )
