"""Requests and notices: database only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.notification.intake.models import (
    Notice,
    NoticeStatus,
    NotificationRequest,
    RequestStatus,
)
from services.notification.preferences.service import Window
from shared.contract import Urgency


async def open_requests(
    *, session: AsyncSession, now: datetime, limit: int
) -> Sequence[NotificationRequest]:
    rows = await session.scalars(
        select(NotificationRequest)
        .options(defer(NotificationRequest.step, raiseload=True))  # resolution needs no step
        .where(
            NotificationRequest.status == RequestStatus.OPEN,
            NotificationRequest.next_resolve_at <= now,
        )
        .order_by(NotificationRequest.next_resolve_at)
        .limit(limit)
    )
    return rows.all()


async def existing_persons(
    request_ids: Sequence[str], *, session: AsyncSession
) -> dict[str, set[str]]:
    """Who already has a notice for each request."""
    known: dict[str, set[str]] = {}
    ids = list(set(request_ids))
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(Notice.request_id, Notice.person_id).where(
                Notice.request_id.in_(ids[start : start + 500])
            )
        )
        for request_id, person_id in rows:
            known.setdefault(request_id, set()).add(person_id)
    return known


async def existing_requests(ids: Sequence[str], *, session: AsyncSession) -> set[str]:
    """Which of these request ids are recorded already."""
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(NotificationRequest.event_id).where(
                NotificationRequest.event_id.in_(ids[start : start + 500])
            )
        )
        known.update(rows)
    return known


async def open_windows(person_ids: Sequence[str], *, session: AsyncSession) -> dict[str, Window]:
    """Each person's open digest window: the release times of their waiting notices (an
    immediate notice goes alone and opens none)."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Notice.person_id, func.min(Notice.release_at), func.max(Notice.release_at))
        .where(
            Notice.person_id.in_(list(person_ids)),
            Notice.status == NoticeStatus.WAITING,
            Notice.urgency != Urgency.IMMEDIATE.value,
        )
        .group_by(Notice.person_id)
    )
    return {person_id: Window(earliest, latest) for person_id, earliest, latest in rows}


async def persons_due(*, session: AsyncSession, now: datetime, limit: int) -> list[str]:
    rows = await session.scalars(
        select(Notice.person_id)
        .where(Notice.status == NoticeStatus.WAITING, Notice.release_at <= now)
        .group_by(Notice.person_id)
        .order_by(func.min(Notice.release_at))
        .limit(limit)
    )
    return list(rows)


async def due_notices(
    person_ids: Sequence[str], *, session: AsyncSession, now: datetime
) -> Sequence[Notice]:
    rows = await session.scalars(
        select(Notice)
        .where(
            Notice.person_id.in_(list(person_ids)),
            Notice.status == NoticeStatus.WAITING,
            Notice.release_at <= now,
        )
        .order_by(Notice.id)
    )
    return rows.all()


async def steps_by_id(ids: Sequence[str], *, session: AsyncSession) -> dict[str, dict[str, Any]]:
    """The StepFired payload of each request (what its notices say), without the requests."""
    if not ids:
        return {}
    rows = await session.execute(
        select(NotificationRequest.event_id, NotificationRequest.step).where(
            NotificationRequest.event_id.in_(list(set(ids)))
        )
    )
    return {event_id: step for event_id, step in rows}
