"""What the service publishes on `reporting.events` (through its outbox): its alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.db import outbox_tables
from shared.contract import REPORTING_EVENTS, Envelope, Producer, ReportingAlert
from shared.outbox import add_event


async def emit_alert(
    session: AsyncSession,
    *,
    kind: str,
    subject_id: str,
    detail: str,
    now: datetime,
    item_key: str | None = None,
    hazard_ids: list[str] | None = None,
    accident_id: str | None = None,
) -> None:
    """In the caller's transaction; escalation makes it a county-office task (上报异常)."""
    payload = ReportingAlert(
        kind=kind,
        subject_id=subject_id,
        item_key=item_key,
        hazard_ids=hazard_ids or [],
        accident_id=accident_id,
        detail=detail,
        at=now,
    )
    envelope = Envelope.of(
        payload,
        aggregate_id=(item_key or subject_id)[:100],
        producer=Producer.REPORTING,
        occurred_at=now,
    )
    await add_event(session, outbox_tables.outbox, envelope, REPORTING_EVENTS, now=now)
