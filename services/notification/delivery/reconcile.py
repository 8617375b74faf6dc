"""Crash reconciliation: attempts left "pending" (the process died mid-call) or "unknown"
(the call timed out after sending) are settled by asking the provider first.

Rules: found at the provider → sent (or delivered); the provider says it never got it, and
enough time has passed for it to know → resend; a provider with no status query → the SMS is
not resent (it may have gone out), the notice falls back to email. SMTP offers no query: an
email is resent with the same Message-ID, so a duplicate is recognisable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notification.config import Settings
from services.notification.delivery import service
from services.notification.delivery.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from services.notification.delivery.outcomes import Outcomes
from services.notification.events import flush_events
from services.notification.providers.base import Lookup, SmsProvider, provider_out_id
from shared.clock import Clock
from shared.contract import Channel
from shared.db import transaction

log = logging.getLogger(__name__)

# QuerySendDetails lists a message from the moment Aliyun accepted it (SendStatus 1).
ALIYUN_NOT_FOUND_AFTER_S = 120.0


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        providers: Sequence[SmsProvider],
        outcomes: Outcomes,
        clock: Clock,
        *,
        live: Callable[[], set[str]] = set,
    ) -> None:
        self.settings = settings
        # OutIds of attempts a send round of this process is still calling or recording.
        self.live = live
        self.sessionmaker = sessionmaker
        self.providers = {p.name: p for p in providers}
        self.outcomes = outcomes
        self.clock = clock

    def not_found_after(self, provider_name: str) -> float:
        provider = self.providers.get(provider_name)
        if provider is not None and provider.config.not_found_after_s is not None:
            return provider.config.not_found_after_s
        if provider is not None and provider.config.kind == "aliyun":
            return ALIYUN_NOT_FOUND_AFTER_S
        return self.settings.reconcile_not_found_after_s

    async def reconcile(self) -> int:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            attempts = await service.attempts_to_reconcile(
                session=session,
                now=now,
                stale_after_s=self.settings.reconcile_after_s,
                limit=100,
            )
        live = self.live()
        attempts = [a for a in attempts if a.out_id not in live]
        if not attempts:
            return 0
        lookups: dict[int, Lookup | Exception | None] = {}
        for attempt in attempts:
            if attempt.channel != Channel.SMS:
                continue
            provider = self.providers.get(attempt.provider)
            if provider is None:
                lookups[attempt.id] = None
                continue
            try:
                # A batch member is known to the provider by the batch's OutId and its number.
                lookups[attempt.id] = await provider.lookup(
                    phone=attempt.address,
                    out_id=provider_out_id(attempt.out_id),
                    sent_at=attempt.started_at,
                )
            except Exception as exc:
                log.warning("status query for attempt %s failed: %s", attempt.id, exc)
                lookups[attempt.id] = exc
        now = self.clock.now()
        async with transaction(self.sessionmaker) as session:
            # The send rounds' lock order: dispatches first (skipping those a round holds),
            # then deliveries in id order, then the attempts.
            delivery_ids = {a.delivery_id for a in attempts}
            rows = await session.execute(
                select(Delivery.id, Delivery.dispatch_id).where(Delivery.id.in_(delivery_ids))
            )
            owners: dict[int, str] = {row.id: row.dispatch_id for row in rows}
            held = await service.lock_dispatches(
                list(owners.values()), session=session, skip_locked=True
            )
            mine = sorted({i for i, d in owners.items() if d in held})
            await session.execute(
                select(Delivery.id)
                .where(Delivery.id.in_(mine))
                .order_by(Delivery.id)
                .with_for_update()
            )
            for stale in attempts:
                if owners.get(stale.delivery_id) not in held:
                    continue  # a send round is recording this dispatch: a later pass
                # Locked (PostgreSQL): another replica settling the same attempt waits here.
                current = await session.get(DeliveryAttempt, stale.id, with_for_update=True)
                delivery = await session.get(Delivery, stale.delivery_id)
                if current is None or delivery is None or current.outcome != stale.outcome:
                    continue  # settled meanwhile by another replica
                await self._settle(session, current, delivery, lookups.get(current.id), now)
            await flush_events(session, now=now)
        return len(attempts)

    async def _settle(
        self,
        session: AsyncSession,
        attempt: DeliveryAttempt,
        delivery: Delivery,
        lookup: Lookup | Exception | None,
        now: datetime,
    ) -> None:
        dispatches = await service.dispatches_by_id([delivery.dispatch_id], session=session)
        dispatch = dispatches[delivery.dispatch_id]
        attempt.finished_at = now
        if delivery.status != DeliveryStatus.PENDING:
            # A receipt already told us (it can only come for an accepted message).
            attempt.outcome = AttemptOutcome.ACCEPTED
            return
        if attempt.channel != Channel.SMS:
            attempt.outcome = AttemptOutcome.UNKNOWN
            attempt.next_check_at = None
            attempt.detail = "SMTP 无法查询投递结果：以相同 Message-ID 重发"
            delivery.next_attempt_at = now
            return
        if isinstance(lookup, Exception):
            attempt.outcome = AttemptOutcome.UNKNOWN
            attempt.next_check_at = now + self.outcomes.backoff(delivery.attempts)
            attempt.detail = f"状态查询失败：{lookup}"
            return
        if lookup is None:
            attempt.outcome = AttemptOutcome.UNKNOWN
            attempt.next_check_at = None
            await self.outcomes.give_up(
                session,
                delivery,
                dispatch,
                reason="发送结果不明且服务商不提供查询，短信不重发",
                now=now,
            )
            return
        if lookup.found:
            attempt.outcome = AttemptOutcome.ACCEPTED
            attempt.provider_message_id = lookup.provider_message_id
            attempt.detail = f"reconciled: {lookup.detail}".strip()
            await self.outcomes.sent(
                session,
                delivery,
                dispatch,
                provider=attempt.provider,
                message_id=lookup.provider_message_id,
                now=now,
                delivered=bool(lookup.delivered),
            )
            return
        waited = now - attempt.started_at
        if waited < timedelta(seconds=self.not_found_after(attempt.provider)):
            attempt.outcome = AttemptOutcome.UNKNOWN
            attempt.next_check_at = now + self.outcomes.backoff(delivery.attempts)
            attempt.detail = "服务商暂未查到该短信，稍后再查"
            return
        attempt.outcome = AttemptOutcome.NOT_ACCEPTED
        attempt.next_check_at = None
        attempt.detail = "服务商确认未收到该短信，重新发送"
        delivery.next_attempt_at = now


async def open_attempts(session: AsyncSession) -> Sequence[DeliveryAttempt]:
    rows = await session.scalars(
        select(DeliveryAttempt).where(
            DeliveryAttempt.outcome.in_([AttemptOutcome.PENDING, AttemptOutcome.UNKNOWN])
        )
    )
    return rows.all()
