"""Texts about one hazard reach a person in the order their steps fired.

A delivery waits while an earlier delivery to the same person on the same channel, about one
of its hazards, is still pending: its attempt unanswered (a request lost on the way is settled
only once reconciliation has heard from the provider) or waiting for a retry. Without this, the
later step's text went out at once and the earlier one's resend arrived after it (`make chaos`
found it: seed 753765, a text lost while the SMS provider timed out). A round sends its texts
side by side, so the later of two due together waits for the next round.

An `immediate` delivery (an accident's) never waits: it must not sit behind a routine text's
retries. A dispatch about no hazard (a report reminder) has nothing to keep in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.delivery.models import Delivery, DeliveryStatus, Dispatch
from shared.contract import Urgency


async def in_order(
    deliveries: Sequence[Delivery], dispatches: Mapping[str, Dispatch], *, session: AsyncSession
) -> list[Delivery]:
    """`deliveries` (due, of `dispatches`) without those an earlier pending one holds back.
    Earlier: of a dispatch bundled before (a fallback email made later for an earlier
    dispatch still comes first), then made before."""
    may_wait = [
        d
        for d in deliveries
        if dispatches[d.dispatch_id].hazard_ids
        and dispatches[d.dispatch_id].urgency != Urgency.IMMEDIATE
    ]
    if not may_wait:
        return list(deliveries)
    rows = await session.execute(
        select(
            Delivery.id,
            Delivery.person_id,
            Delivery.channel,
            Dispatch.created_at,
            Dispatch.hazard_ids,
        )
        .join(Dispatch, Dispatch.id == Delivery.dispatch_id)
        .where(
            Delivery.person_id.in_(sorted({d.person_id for d in may_wait})),
            Delivery.status == DeliveryStatus.PENDING,
        )
    )
    # (person, channel, hazard) → the place of the earliest pending delivery about it
    first: dict[tuple[str, str, str], tuple[datetime, int]] = {}
    for delivery_id, person_id, channel, bundled_at, hazard_ids in rows:
        place = (bundled_at, delivery_id)
        for hazard_id in hazard_ids:
            key = (person_id, channel, hazard_id)
            first[key] = min(first.get(key, place), place)
    held = set()
    for d in may_wait:
        dispatch = dispatches[d.dispatch_id]
        place = (dispatch.created_at, d.id)
        if any(first.get((d.person_id, d.channel, h), place) < place for h in dispatch.hazard_ids):
            held.add(d.id)
    return [d for d in deliveries if d.id not in held]
