"""Notices the case has overtaken. A step's notice may wait (a digest window, quiet hours)
while the hazard moves on, and sent as it was it would say what is no longer true:

- the hazard closed (its case stopped): every notice still waiting is withdrawn, never sent —
  nobody is to 督促 a closed hazard;
- its rectification reported (the case paused, or accepted): the notices of steps that stop
  then (`stop_condition: rectified`, 「请…完成整改」) are withdrawn;
- its deadline moved or its policy switched (re-baselined): the notices still waiting are
  brought up to date with the case's facts (the new deadline), so the 整改通知 a person gets
  names the deadline in force; what they say is worked out from those facts when they go.

escalation publishes a case's `CaseChanged` after the steps it fired, under the same key, so
every notice of the hazard still waiting when the change arrives came from a step before it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.intake.models import (
    Notice,
    NoticeStatus,
    NotificationRequest,
    RequestKind,
    RequestStatus,
)
from shared.contract import CaseChanged

STOPPED = "stopped"
RECTIFIED = "rectified"  # a step's stop condition: the rectification was reported
# Replans that end the steps that stop once the rectification is reported.
RECTIFICATION_REPORTED = ("paused", "accepted")
# Replans after which the facts a waiting notice carries are out of date.
REBASELINED = ("rebaselined", "policy switched")
CHUNK = 500


def overtaken(change: CaseChanged) -> bool | None:
    """Whether the change withdraws every waiting notice of the hazard (True), only those of
    steps that stop once the rectification is reported (False), or none (None)."""
    if change.state == STOPPED:
        return True
    if change.reason in RECTIFICATION_REPORTED:
        return False
    return None


async def _waiting_requests(
    session: AsyncSession, hazard_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """The hazard's requests that may still have a notice to send: (event id, step)."""
    rows = await session.execute(
        select(NotificationRequest.event_id, NotificationRequest.step).where(
            NotificationRequest.hazard_id == hazard_id,
            NotificationRequest.kind == RequestKind.HAZARD.value,
            NotificationRequest.status.in_([RequestStatus.OPEN, RequestStatus.RESOLVED]),
        )
    )
    return [(event_id, step or {}) for event_id, step in rows]


async def on_case_changed(session: AsyncSession, change: CaseChanged) -> int:
    """Withdraw or bring up to date the hazard's notices still waiting; how many withdrawn."""
    every = overtaken(change)
    if every is not None:
        return await _withdraw(session, change, every)
    if change.reason.startswith(REBASELINED) and change.facts is not None:
        await _refresh(session, change)
    return 0


async def _withdraw(session: AsyncSession, change: CaseChanged, every: bool) -> int:
    requests = await _waiting_requests(session, change.hazard_id)
    ids = [i for i, step in requests if every or step.get("stop_condition") == RECTIFIED]
    withdrawn = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        result = await session.execute(
            update(Notice)
            .where(Notice.request_id.in_(chunk), Notice.status == NoticeStatus.WAITING)
            .values(status=NoticeStatus.WITHDRAWN)
            .execution_options(synchronize_session=False)
        )
        withdrawn += result.rowcount  # type: ignore[attr-defined]
        await session.execute(
            update(NotificationRequest)
            .where(
                NotificationRequest.event_id.in_(chunk),
                NotificationRequest.status == RequestStatus.OPEN,
            )
            .values(status=RequestStatus.WITHDRAWN, next_resolve_at=None)
            .execution_options(synchronize_session=False)
        )
    return withdrawn


async def _refresh(session: AsyncSession, change: CaseChanged) -> None:
    assert change.facts is not None
    facts = change.facts.model_dump(mode="json")
    requests = await _waiting_requests(session, change.hazard_id)
    if not requests:
        return
    pending = set(
        await session.scalars(
            select(Notice.request_id).where(
                Notice.request_id.in_([i for i, _ in requests]),
                Notice.status == NoticeStatus.WAITING,
            )
        )
    )
    for event_id, step in requests:
        request = await session.get(NotificationRequest, event_id)
        if request is None or (event_id not in pending and request.status != RequestStatus.OPEN):
            continue  # everything it asked for has gone out: its record stays as sent
        request.step = {**step, "facts": {**step.get("facts", {}), **facts}}
