"""Sending due deliveries: claim and log each attempt first, call the providers, record.

The attempt row (outcome "pending") is committed before the provider is called, so a crash
between the provider's answer and the record leaves a trace that reconciliation resolves
by asking the provider, never by sending again blindly. Texts due together that share a
provider and template go out in one SendBatchSms call, each still with its own attempt row
(see batch.py). A pass writes its rows with multi-row statements, not one per text.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notification.ack.links import ack_link
from services.notification.config import Settings
from services.notification.delivery import service
from services.notification.delivery.batch import (
    AttemptRow,
    Batch,
    Plan,
    attempt_row,
    form_batches,
    refused,
    retry_singly,
)
from services.notification.delivery.calls import CRASH_HOOK_ENV, call_one, call_round
from services.notification.delivery.caps import REDIRECTED_TO_EMAIL, CapTracker
from services.notification.delivery.emails import build_email
from services.notification.delivery.models import (
    Delivery,
    DeliveryAttempt,
    Dispatch,
)
from services.notification.delivery.order import in_order
from services.notification.delivery.outcomes import AttemptUpdate, Outcomes
from services.notification.events import flush_events
from services.notification.messages.render import Voice, render, sms_variables
from services.notification.providers.base import SendResult, SmsMessage, SmsProvider
from services.notification.providers.email import Email, SmtpSender
from shared.clock import Clock
from shared.contract import Channel, Urgency
from shared.db import transaction

log = logging.getLogger(__name__)

# Re-exported: tests set it to crash a send right after the provider accepted.
__all__ = ["CRASH_HOOK_ENV", "Sender"]


@dataclass(frozen=True)
class Claimed:
    """Deliveries claimed and their attempts written; to be delivered after the commit."""

    plans: list[tuple[Plan, AttemptRow]]
    batches: list[Batch]
    dispatches: dict[str, Dispatch]


class Sender:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        providers: Sequence[SmsProvider],
        smtp: SmtpSender,
        outcomes: Outcomes,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.providers = list(providers)
        self.smtp = smtp
        self.outcomes = outcomes
        self.clock = clock
        # Provider calls in flight across every round of this process.
        self._gate = asyncio.Semaphore(settings.send_concurrency)
        # OutIds of attempts whose round is still calling or recording (the reconciler's
        # "pending" rows that are not stale but live).
        self.in_flight: set[str] = set()
        self.voice = Voice.of(settings)

    async def send_due(self) -> int:
        claimed: Claimed | None = None
        try:
            async with transaction(self.sessionmaker) as session:
                claimed = await self.claim(session=session, now=self.clock.now())
        except BaseException:
            self.release(claimed)
            raise
        return await self.deliver(claimed) if claimed is not None else 0

    def release(self, claimed: Claimed | None) -> None:
        """The claiming transaction raised: this round will make none of its calls. Its commit
        may still have gone through (only the answer lost), so the attempts may stand pending;
        released, they are the reconciler's like any stale attempt, not live ones forever."""
        if claimed is not None:
            self.in_flight -= {p.out_id for p, _ in claimed.plans}

    async def claim(self, *, session: AsyncSession, now: datetime) -> Claimed | None:
        """Claim due deliveries and write their attempts (outcome pending) in the caller's
        transaction; `deliver` what it returns once that transaction committed."""
        deliveries = await service.claim_due(
            session=session, now=now, limit=self.settings.dispatch_batch
        )
        # A dispatch another round is recording (or the reconciler settling) waits for a
        # later round: the shared lock order (service.lock_dispatches).
        dispatches = await service.lock_dispatches(
            [d.dispatch_id for d in deliveries], session=session, skip_locked=True
        )
        deliveries = await in_order(
            [d for d in deliveries if d.dispatch_id in dispatches], dispatches, session=session
        )
        if not deliveries:
            return None
        caps = CapTracker(
            await service.recent_sms(
                [d.address for d in deliveries if d.channel == Channel.SMS],
                session=session,
                now=now,
            )
        )
        plans: list[tuple[Plan, AttemptRow]] = []
        with session.no_autoflush:
            for delivery in deliveries:
                planned = await self._plan(
                    session, delivery, dispatches[delivery.dispatch_id], caps, now
                )
                if planned is not None:
                    plans.append(planned)
        batches = form_batches(plans)
        await flush_events(session, now=now)
        await session.flush()
        if plans:
            await session.execute(insert(DeliveryAttempt), [row for _, row in plans])
        # Before the commit makes them visible: the reconciler leaves them to this round.
        self.in_flight |= {p.out_id for p, _ in plans}
        return Claimed(plans, batches, dispatches)

    async def deliver(self, claimed: Claimed) -> int:
        """Make the claimed calls and record their answers; how many attempts there were."""
        try:
            await self._deliver(claimed.plans, claimed.batches, claimed.dispatches)
        finally:
            self.release(claimed)
        return len(claimed.plans)

    async def _deliver(
        self,
        plans: list[tuple[Plan, AttemptRow]],
        batches: list[Batch],
        dispatches: dict[str, Dispatch],
    ) -> None:
        """Call the providers (side by side, behind the gate), record. An urgent round calls
        and records its texts before its emails: emails took turns with the texts on their way
        to the provider, and a slow mail server held back the record (and NotificationChanged)
        of texts already accepted."""
        singles = [p for p, _ in plans if p.batch is None]
        if any(p.urgent for p, _ in plans):
            texts = [p for p in singles if p.sms is not None]
            await self._call_and_record(batches, texts, dispatches)
            emails = [p for p in singles if p.sms is None]
            await self._call_and_record([], emails, dispatches)
        else:
            await self._call_and_record(batches, singles, dispatches)

    async def _call_and_record(
        self, batches: list[Batch], singles: list[Plan], dispatches: dict[str, Dispatch]
    ) -> None:
        if not (batches or singles):
            return
        gate, smtp = self._gate, self.smtp
        singles, answers = await call_round(batches, singles, smtp, gate)
        results = list(zip(singles, answers[len(batches) :], strict=True))
        for batch, answer in zip(batches, answers[: len(batches)], strict=True):
            results.extend((member, answer) for member in batch.members)
        retries = await self._record(results, dispatches)
        if retries:  # members of refused batches, one number at a time
            answers = await asyncio.gather(*(call_one(p, smtp, gate) for p in retries))
            await self._record(list(zip(retries, answers, strict=True)), dispatches)

    async def _plan(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        caps: CapTracker,
        now: datetime,
    ) -> tuple[Plan, AttemptRow] | None:
        channel = Channel(delivery.channel)
        items = dispatch.context["items"]
        link = ack_link(self.settings, dispatch, channel)
        provider: SmsProvider | None = None
        sms: SmsMessage | None = None
        email: Email | None = None
        out_id = uuid.uuid4().hex
        if channel == Channel.SMS:
            free: list[datetime] = []
            while delivery.provider_index < len(self.providers):
                candidate = self.providers[delivery.provider_index]
                blocked = caps.free_at(candidate, delivery.address, delivery.content_hash, now)
                if blocked is None:
                    provider = candidate
                    break
                free.append(blocked)
                delivery.provider_index += 1
                delivery.provider_attempts = 0
            if provider is None and not free:
                await self.outcomes.give_up(
                    session, delivery, dispatch, reason="没有可用的短信服务商", now=now
                )
                return None
            if provider is None:
                await self._overflow(session, delivery, dispatch, min(free), now)
                return None
            key, variables = sms_variables(items, link, self.voice)
            text = render(
                f"sms/{key}",
                delivery.template_version,
                "txt",
                sign=provider.config.sign_name,
                **variables,
            )
            sms = SmsMessage(delivery.address, key, variables, text, out_id)
            caps.add(provider.name, delivery.address, delivery.content_hash, now)
        else:
            email = build_email(self.settings, self.voice, delivery, dispatch, link, now)
        attempt = attempt_row(
            delivery,
            out_id=out_id,
            channel=channel.value,
            provider=provider.name if provider else self.smtp.name,
            now=now,
        )
        delivery.attempts += 1
        delivery.next_attempt_at = None
        delivery.updated_at = now
        urgent = dispatch.urgency in (Urgency.URGENT, Urgency.IMMEDIATE)
        return Plan(delivery.id, out_id, channel, provider, sms, email, urgent=urgent), attempt

    async def _overflow(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        free_at: datetime,
        now: datetime,
    ) -> None:
        """Every provider's cap for this number is reached: email instead, or wait."""
        snapshot = await self.outcomes.cache.get(session=session)
        person = snapshot.persons.get(dispatch.person_id)
        if person is not None and person.email:
            await self.outcomes.give_up(
                session,
                delivery,
                dispatch,
                reason=REDIRECTED_TO_EMAIL,
                now=now,
                failure=False,  # a redirect, not a failure: no alert
            )
            return
        delivery.provider_index = 0
        delivery.provider_attempts = 0
        delivery.next_attempt_at = free_at
        delivery.last_error = "短信已达频次上限，推迟发送"
        delivery.updated_at = now

    async def _record(
        self, results: list[tuple[Plan, SendResult]], dispatches: dict[str, Dispatch]
    ) -> list[Plan]:
        """Record the answers; returns the single sends that replace refused batch members
        (their attempt rows committed here, before those calls are made). `dispatches`: as
        loaded for the plans (never changed by sending)."""
        if not results:
            return []
        retries: list[tuple[Plan, AttemptRow]] = []
        updates: list[AttemptUpdate] = []
        now = self.clock.now()
        async with transaction(self.sessionmaker) as session:
            await service.lock_dispatches(list(dispatches), session=session)
            query = select(Delivery).where(Delivery.id.in_([p.delivery_id for p, _ in results]))
            deliveries = {
                d.id: d
                for d in await session.scalars(query.order_by(Delivery.id).with_for_update())
            }
            # Batch work: flush once at commit, not before every event insert.
            with session.no_autoflush:
                for plan, result in results:
                    delivery = deliveries[plan.delivery_id]
                    provider = plan.provider.name if plan.provider else self.smtp.name
                    attempt = AttemptUpdate(plan.out_id, provider)
                    updates.append(attempt)
                    if refused(plan, result):
                        retries.append(retry_singly(plan, attempt, delivery, result, now))
                        continue
                    await self.outcomes.apply(
                        session, delivery, dispatches[delivery.dispatch_id], attempt, result, now
                    )
            await flush_events(session, now=now)
            await session.flush()
            await service.update_attempts(updates, session=session)
            if retries:
                await session.execute(insert(DeliveryAttempt), [row for _, row in retries])
        return [plan for plan, _ in retries]
