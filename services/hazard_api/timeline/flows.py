"""Consumes escalation and notification events into per-hazard timeline entries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    Envelope,
    NotificationChanged,
    NotificationStatus,
    StepFired,
)
from shared.labels import (
    ACTION_LABELS,
    AUDITOR_FINDING_LABELS,
    CHANNEL_LABELS,
    NOTIFICATION_STATUS_LABELS,
    URGENCY_LABELS,
    beijing_time,
    case_reason_label,
    deadline_label,
    label,
    role_label,
    roles_label,
)

CONSUMER_NAME = "hazard_api.timeline"

NOTIFICATION_KINDS = {
    NotificationStatus.SENT: EntryKind.NOTICE,
    NotificationStatus.DELIVERED: EntryKind.DELIVERY,
    NotificationStatus.FAILED: EntryKind.DELIVERY,
    NotificationStatus.ACKNOWLEDGED: EntryKind.ACKNOWLEDGEMENT,
}


def step_summary(step: StepFired) -> str:
    repeat = f"（第{step.repeat_index + 1}次）" if step.repeat_index else ""
    return (
        f"督办升级：{label(ACTION_LABELS, step.action)}{repeat}"
        f"（{label(URGENCY_LABELS, step.urgency)}），通知{roles_label(step.target_roles)}；"
        f"整改期限{deadline_label(step.facts.deadline_at, step.facts.deadline_provisional)}"
    )


def case_summary(change: CaseChanged) -> str:
    summary = f"督办安排：{case_reason_label(change.reason)}"
    if change.next_fire_at is not None:
        summary += f"；下一次督办{beijing_time(change.next_fire_at)}"
    return summary


def finding_summary(finding: AuditorAnomaly) -> str:
    """A moved clock is said as such (its detail explains it); anything else is a fault."""
    if finding.kind == "clock_moved":
        return f"督办核查：{finding.detail}"
    return f"督办核查发现问题（{label(AUDITOR_FINDING_LABELS, finding.kind)}）：{finding.detail}"


def notification_summary(change: NotificationChanged) -> str:
    who = role_label(change.chain_role) + change.person_name
    summary = (
        f"{label(CHANNEL_LABELS, change.channel)}通知{who}："
        f"{label(NOTIFICATION_STATUS_LABELS, change.status)}"
    )
    if change.detail:
        # Our own reasons are Chinese; a provider's raw answer is marked as what it is.
        chinese = any("\u4e00" <= ch <= "\u9fff" for ch in change.detail)
        summary += f"（{change.detail}）" if chinese else f"（服务商返回：{change.detail}）"
    return summary


def _entries(envelope: Envelope) -> list[dict[str, Any]]:
    payload = envelope.typed_payload()
    base = {"event_id": str(envelope.event_id), "source": envelope.producer}
    match payload:
        case StepFired():
            return [
                base
                | {
                    "hazard_id": payload.hazard_id,
                    "at": payload.fired_at,
                    "kind": EntryKind.ESCALATION_STEP.value,
                    "summary": step_summary(payload),
                }
            ]
        case CaseChanged():
            return [
                base
                | {
                    "hazard_id": payload.hazard_id,
                    "at": envelope.occurred_at,
                    "kind": EntryKind.ESCALATION_CASE.value,
                    "summary": case_summary(payload),
                }
            ]
        case AuditorAnomaly():
            return [
                base
                | {
                    "hazard_id": payload.hazard_id,
                    "at": envelope.occurred_at,
                    "kind": EntryKind.ANOMALY.value,
                    "summary": finding_summary(payload),
                }
            ]
        case NotificationChanged():
            summary = notification_summary(payload)
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


Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


def also(first: Handler, then: Handler) -> Handler:
    async def both(session: AsyncSession, envelope: Envelope) -> None:
        await first(session, envelope)
        await then(session, envelope)

    return both


def timeline_consumer(
    *,
    bootstrap_servers: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    session_timeout_ms: int,
    name: str = CONSUMER_NAME,
    then: Handler | None = None,
    **kwargs: Any,
) -> ConsumerRunner:
    """`then`: what else hazard_api does with these events in the same transaction (a
    拟发督办函 task drafts its 督办函)."""
    return ConsumerRunner(
        name=name,
        topics=[ESCALATION_EVENTS, NOTIFICATION_EVENTS],
        bootstrap_servers=bootstrap_servers,
        sessionmaker=sessionmaker,
        processed_events=outbox_tables.processed_events,
        handler=handle if then is None else also(handle, then),
        session_timeout_ms=session_timeout_ms,
        **kwargs,
    )
