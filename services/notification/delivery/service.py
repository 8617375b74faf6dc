"""Delivery log queries: database only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.delivery.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Dispatch,
)
from shared.clock import SHANGHAI, local

if TYPE_CHECKING:
    from services.notification.delivery.outcomes import AttemptUpdate

LIVE = (DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
COUNTED = (AttemptOutcome.ACCEPTED, AttemptOutcome.PENDING, AttemptOutcome.UNKNOWN)


async def claim_due(*, session: AsyncSession, now: datetime, limit: int) -> Sequence[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def dispatches_by_id(ids: Sequence[str], *, session: AsyncSession) -> dict[str, Dispatch]:
    if not ids:
        return {}
    rows = await session.scalars(select(Dispatch).where(Dispatch.id.in_(list(set(ids)))))
    return {d.id: d for d in rows}


async def deliveries_of(dispatch_id: str, *, session: AsyncSession) -> Sequence[Delivery]:
    rows = await session.scalars(select(Delivery).where(Delivery.dispatch_id == dispatch_id))
    return rows.all()


def local_day_start(now: datetime) -> datetime:
    here = local(now)
    return here.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(SHANGHAI)


async def recent_sms(
    addresses: Sequence[str], *, session: AsyncSession, now: datetime
) -> list[tuple[str, str, str, datetime]]:
    """(provider, address, content_hash, started_at) of today's SMS that count against caps."""
    if not addresses:
        return []
    since = local_day_start(now)
    out: list[tuple[str, str, str, datetime]] = []
    unique = list(set(addresses))
    for start in range(0, len(unique), 500):
        rows = await session.execute(
            select(
                DeliveryAttempt.provider,
                DeliveryAttempt.address,
                DeliveryAttempt.content_hash,
                DeliveryAttempt.started_at,
            ).where(
                DeliveryAttempt.channel == "sms",
                DeliveryAttempt.address.in_(unique[start : start + 500]),
                DeliveryAttempt.started_at >= since,
                DeliveryAttempt.outcome.in_(COUNTED),
            )
        )
        out.extend((r[0], r[1], r[2], r[3]) for r in rows)
    return out


async def attempts_to_reconcile(
    *, session: AsyncSession, now: datetime, stale_after_s: float, limit: int
) -> Sequence[DeliveryAttempt]:
    stale = now - timedelta(seconds=stale_after_s)
    rows = await session.scalars(
        select(DeliveryAttempt)
        .where(
            or_(
                and_(
                    DeliveryAttempt.outcome == AttemptOutcome.PENDING,
                    DeliveryAttempt.started_at <= stale,
                ),
                and_(
                    DeliveryAttempt.outcome == AttemptOutcome.UNKNOWN,
                    DeliveryAttempt.next_check_at <= now,
                ),
            )
        )
        .order_by(DeliveryAttempt.id)
        .limit(limit)
    )
    return rows.all()


_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)
_UPDATE_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.out_id == bindparam("k_out_id"))
    .values(
        outcome=bindparam("k_outcome"),
        detail=bindparam("k_detail"),
        provider_message_id=bindparam("k_provider_message_id"),
        finished_at=bindparam("k_finished_at"),
        next_check_at=bindparam("k_next_check_at"),
    )
)


async def update_attempts(updates: Sequence[AttemptUpdate], *, session: AsyncSession) -> None:
    """The answers of a pass's attempts, in one statement executed for every row."""
    if not updates:
        return
    await session.execute(
        _UPDATE_ATTEMPT,
        [
            {
                "k_out_id": u.out_id,
                "k_outcome": u.outcome,
                "k_detail": u.detail,
                "k_provider_message_id": u.provider_message_id,
                "k_finished_at": u.finished_at,
                "k_next_check_at": u.next_check_at,
            }
            for u in updates
        ],
    )


async def lock_dispatches(
    ids: Sequence[str], *, session: AsyncSession, skip_locked: bool = False
) -> dict[str, Dispatch]:
    """Load and lock dispatch rows in id order (PostgreSQL); those now held (all of them on
    SQLite, whose single writer serialises transactions anyway).

    The lock order shared by every transaction that settles deliveries after a provider call
    (a send round's claim and record, the reconciler): a dispatch first, then its deliveries,
    attempts and notices. Send rounds run beside each other and beside the reconciler, and
    without one order a record and a reconcile of one dispatch deadlocked. Waiting (a round
    recording its answers) happens only in id order; the claim and the reconciler skip a
    dispatch held by someone else and come back to it on a later pass."""
    unique = sorted(set(ids))
    if not unique:
        return {}
    query = select(Dispatch).where(Dispatch.id.in_(unique)).order_by(Dispatch.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=skip_locked)
    return {d.id: d for d in await session.scalars(query)}
