"""What the service publishes on `notification.events` (through its outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.notification.db import outbox_tables
from shared.contract import (
    NOTIFICATION_EVENTS,
    ChainRole,
    Channel,
    Envelope,
    NotificationAlert,
    NotificationChanged,
    NotificationStatus,
    Producer,
)
from shared.outbox import add_events


async def emit_changed(
    session: AsyncSession,
    *,
    dispatch_id: str,
    person_id: str,
    person_name: str,
    items: list[dict[str, Any]],
    channel: Channel,
    provider: str | None,
    status: NotificationStatus,
    now: datetime,
    detail: str | None = None,
) -> None:
    """One event per request the dispatch answers, so each escalation case sees its own."""
    for item in items:
        role = str(item.get("role"))
        hazard_id = item.get("hazard_id")  # none for a report reminder
        payload = NotificationChanged(
            notification_id=f"{dispatch_id}:{channel.value}",
            request_event_id=item["request_id"],
            hazard_ids=[hazard_id] if hazard_id else [],
            person_id=person_id,
            person_name=person_name,
            chain_role=ChainRole(role) if role in ChainRole._value2member_map_ else None,
            channel=channel,
            provider=provider,
            status=status,
            at=now,
            detail=detail,
        )
        envelope = Envelope.of(
            payload,
            aggregate_id=hazard_id or item["request_id"],
            producer=Producer.NOTIFICATION,
            occurred_at=now,
        )
        await _add(session, envelope, now)


async def emit_alert(
    session: AsyncSession,
    *,
    kind: str,
    request_event_id: str,
    hazard_ids: list[str],
    detail: str,
    now: datetime,
    person_id: str | None = None,
    person_name: str | None = None,
    channel: Channel | None = None,
    notification_id: str | None = None,
) -> None:
    payload = NotificationAlert(
        kind=kind,
        request_event_id=request_event_id,
        hazard_ids=hazard_ids,
        person_id=person_id,
        person_name=person_name,
        channel=channel,
        notification_id=notification_id,
        detail=detail,
        at=now,
    )
    envelope = Envelope.of(
        payload,
        aggregate_id=hazard_ids[0] if hazard_ids else request_event_id,
        producer=Producer.NOTIFICATION,
        occurred_at=now,
    )
    await _add(session, envelope, now)


_BUFFER = "notification_outbox_buffer"


def _unflushed_guard(session: Session) -> None:
    if session.info.get(_BUFFER):
        raise RuntimeError("notification events emitted but not flushed before commit")


async def _add(session: AsyncSession, envelope: Envelope, now: datetime) -> None:
    """Buffered: batches write their events in one insert (`flush_events`) before commit."""
    buffer: list[Envelope] | None = session.info.get(_BUFFER)
    if buffer is None:
        buffer = session.info[_BUFFER] = []
        if not session.info.get("notification_guard"):
            session.info["notification_guard"] = True
            event.listen(session.sync_session, "before_commit", _unflushed_guard)
    buffer.append(envelope)


async def flush_events(session: AsyncSession, *, now: datetime) -> int:
    """Write the buffered events to the outbox; call before the transaction commits."""
    buffer: list[Envelope] = session.info.pop(_BUFFER, None) or []
    await add_events(
        session, outbox_tables.outbox, [(e, NOTIFICATION_EVENTS) for e in buffer], now=now
    )
    return len(buffer)
