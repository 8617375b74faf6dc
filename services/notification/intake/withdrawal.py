"""Notices the case has overtaken. A step's notice may wait (a digest window, quiet hours)
while the hazard moves on: closed, its deadline extended, its rectification reported. Sent
then, it would say what is no longer true (「请督促企业于1月6日前完成整改」 about a hazard closed
an hour before, or the old deadline), so it is withdrawn, never sent; the case's new plan fires
again from the new facts.

escalation publishes a case's `CaseChanged` after the steps it fired, under the same key, so
every notice of the hazard still waiting when the change arrives came from a step before it."""

from __future__ import annotations

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
# Replans after which every earlier step's facts are stale (the deadline or the policy moved).
REBASELINED = ("rebaselined", "policy switched")
# Replans that end the steps that stop once the rectification is reported.
RECTIFICATION_REPORTED = ("paused", "accepted")


def overtaken(change: CaseChanged) -> bool | None:
    """Whether the change overtakes every waiting notice of the hazard (True), only those of
    steps that stop once the rectification is reported (False), or none (None)."""
    if change.state == STOPPED or change.reason.startswith(REBASELINED):
        return True
    if change.reason in RECTIFICATION_REPORTED:
        return False
    return None


async def withdraw_overtaken(session: AsyncSession, change: CaseChanged) -> int:
    """Withdraw the hazard's waiting notices (and its requests still resolving) that `change`
    overtakes; how many notices."""
    every = overtaken(change)
    if every is None:
        return 0
    rows = await session.execute(
        select(NotificationRequest.event_id, NotificationRequest.step).where(
            NotificationRequest.hazard_id == change.hazard_id,
            NotificationRequest.kind == RequestKind.HAZARD.value,
            NotificationRequest.status.in_([RequestStatus.OPEN, RequestStatus.RESOLVED]),
        )
    )
    ids = [
        event_id
        for event_id, step in rows
        if every or (step or {}).get("stop_condition") == RECTIFIED
    ]
    if not ids:
        return 0
    withdrawn = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
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
