"""Applying delivery receipts to the log; a receipt seen before changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.delivery import service as delivery_service
from services.notification.delivery.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from services.notification.delivery.outcomes import Outcomes
from services.notification.providers.base import MAX_BATCH, mainland_number, member_out_id
from services.notification.receipts.models import Receipt

log = logging.getLogger(__name__)


async def record(
    *,
    session: AsyncSession,
    outcomes: Outcomes,
    provider_kind: str,
    message_id: str,
    phone: str,
    out_id: str | None,
    success: bool,
    code: str,
    raw: dict[str, Any],
    now: datetime,
) -> bool:
    """False for a duplicate receipt."""
    seen = await session.scalar(
        select(Receipt.id).where(
            Receipt.provider_kind == provider_kind,
            Receipt.provider_message_id == message_id,
            Receipt.phone == phone,
        )
    )
    if seen is not None:
        return False
    session.add(
        Receipt(
            provider_kind=provider_kind,
            provider_message_id=message_id,
            phone=phone,
            success=success,
            code=code,
            raw=raw,
            received_at=now,
        )
    )
    await session.flush()
    attempt = await _attempt_of(session, message_id=message_id, phone=phone, out_id=out_id)
    if attempt is None:
        log.warning("receipt for unknown message %s/%s", provider_kind, message_id)
        return True
    delivery = await session.get(Delivery, attempt.delivery_id)
    assert delivery is not None
    dispatch = (await delivery_service.dispatches_by_id([delivery.dispatch_id], session=session))[
        delivery.dispatch_id
    ]
    if attempt.outcome != AttemptOutcome.ACCEPTED:
        # The receipt beat reconciliation: the provider had the message after all.
        attempt.outcome = AttemptOutcome.ACCEPTED
        attempt.provider_message_id = attempt.provider_message_id or message_id
        attempt.finished_at = now
        if delivery.status == DeliveryStatus.PENDING:
            await outcomes.sent(
                session,
                delivery,
                dispatch,
                provider=attempt.provider,
                message_id=message_id,
                now=now,
            )
    if delivery.status != DeliveryStatus.SENT:
        return True
    if success:
        await outcomes.delivered(session, delivery, dispatch, now=now)
    else:
        await outcomes.give_up(
            session, delivery, dispatch, reason=f"状态报告：未送达（{code}）", now=now
        )
    return True


async def _attempt_of(
    session: AsyncSession, *, message_id: str, phone: str, out_id: str | None
) -> DeliveryAttempt | None:
    """The attempt a receipt reports on: by the provider's message id and the number together
    (a batch's numbers share one BizId); failing that (the send's answer never reached the
    log) by our OutId and the number, a batch member's attempt being "<OutId>.<i>"."""
    number = mainland_number(phone)
    by_message = await session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.provider_message_id == message_id)
    )
    for attempt in by_message:
        if mainland_number(attempt.address) == number:
            return attempt
    if not out_id:
        return None
    ids = [out_id, *(member_out_id(out_id, i) for i in range(MAX_BATCH))]
    rows = (
        await session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.out_id.in_(ids)))
    ).all()
    same = [a for a in rows if mainland_number(a.address) == number]
    return same[0] if same else next((a for a in rows if a.out_id == out_id), None)
