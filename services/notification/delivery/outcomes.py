"""State changes of the delivery log, recorded only as what really happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.config import Settings
from services.notification.delivery import service
from services.notification.delivery.bundle import new_delivery
from services.notification.delivery.models import (
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    Dispatch,
)
from services.notification.directory.service import SnapshotCache
from services.notification.events import emit_alert, emit_changed
from services.notification.providers.base import Outcome, Scope, SendResult
from shared.contract import Channel, NotificationStatus


@dataclass
class AttemptUpdate:
    """What a provider's answer changes on an attempt row (written by out_id, in bulk)."""

    out_id: str
    provider: str
    outcome: str = AttemptOutcome.PENDING
    detail: str | None = None
    provider_message_id: str | None = None
    finished_at: datetime | None = None
    next_check_at: datetime | None = None


class Outcomes:
    def __init__(self, settings: Settings, cache: SnapshotCache) -> None:
        self.settings = settings
        self.cache = cache

    def backoff(self, attempt: int) -> timedelta:
        seconds = self.settings.retry_backoff_s * 2 ** max(0, attempt - 1)
        return timedelta(seconds=min(seconds, self.settings.retry_backoff_max_s))

    async def _emit(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        status: NotificationStatus,
        now: datetime,
        detail: str | None = None,
    ) -> None:
        await emit_changed(
            session,
            dispatch_id=dispatch.id,
            person_id=dispatch.person_id,
            person_name=dispatch.person_name,
            items=dispatch.context["items"],
            channel=Channel(delivery.channel),
            provider=delivery.provider,
            status=status,
            now=now,
            detail=detail,
        )

    async def sent(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        *,
        provider: str,
        message_id: str | None,
        now: datetime,
        delivered: bool = False,
    ) -> None:
        delivery.status = DeliveryStatus.SENT
        delivery.provider = provider
        delivery.provider_message_id = message_id
        delivery.next_attempt_at = None
        delivery.updated_at = now
        await self._emit(session, delivery, dispatch, NotificationStatus.SENT, now)
        if delivered:
            await self.delivered(session, delivery, dispatch, now=now)

    async def delivered(
        self, session: AsyncSession, delivery: Delivery, dispatch: Dispatch, *, now: datetime
    ) -> None:
        if delivery.status != DeliveryStatus.SENT:
            return
        delivery.status = DeliveryStatus.DELIVERED
        delivery.updated_at = now
        await self._emit(session, delivery, dispatch, NotificationStatus.DELIVERED, now)

    def retry_later(self, delivery: Delivery, *, now: datetime, error: str) -> bool:
        """Count a transient failure; False when this provider's attempts are used up."""
        delivery.provider_attempts += 1
        delivery.last_error = error
        delivery.updated_at = now
        limit = (
            self.settings.provider_attempts
            if delivery.channel == Channel.SMS
            else self.settings.email_attempts
        )
        if delivery.provider_attempts >= limit:
            return False
        delivery.next_attempt_at = now + self.backoff(delivery.provider_attempts)
        return True

    def fail_over(self, delivery: Delivery, *, now: datetime, error: str) -> bool:
        """Move to the next SMS provider; False when there is none."""
        delivery.last_error = error
        delivery.updated_at = now
        if delivery.channel != Channel.SMS:
            return False
        delivery.provider_index += 1
        delivery.provider_attempts = 0
        if delivery.provider_index >= len(self.settings.sms_providers):
            return False
        delivery.next_attempt_at = now
        return True

    async def give_up(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        *,
        reason: str,
        now: datetime,
    ) -> None:
        """This channel is done without success: SMS falls back to email; with no live
        channel left the dispatch is dead-lettered and an alert raised."""
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = reason
        delivery.updated_at = now
        await self._emit(session, delivery, dispatch, NotificationStatus.FAILED, now, reason)
        others = await service.deliveries_of(dispatch.id, session=session)
        siblings = [d for d in others if d is not delivery]
        if delivery.channel == Channel.SMS and not any(
            d.channel == Channel.EMAIL for d in siblings
        ):
            snapshot = await self.cache.get(session=session)
            person = snapshot.persons.get(dispatch.person_id)
            if person is not None and person.email:
                fallback = new_delivery(
                    dispatch, Channel.EMAIL, person.email, now, self.settings, fallback=True
                )
                session.add(fallback)
                return
        if any(d.status in service.LIVE for d in siblings):
            return
        delivery.status = DeliveryStatus.DEAD
        await emit_alert(
            session,
            kind="dead_letter",
            request_event_id=dispatch.request_ids[0],
            hazard_ids=dispatch.hazard_ids,
            person_id=dispatch.person_id,
            notification_id=dispatch.id,
            detail=f"短信与邮件均未能送达：{reason}",
            now=now,
        )

    async def apply(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        attempt: AttemptUpdate,
        result: SendResult,
        now: datetime,
    ) -> None:
        """A provider's answer to one attempt: record it, then sent, retry, fail over or give up."""
        attempt.detail = result.detail[:2000]
        attempt.provider_message_id = result.provider_message_id
        attempt.finished_at = now
        match result.outcome:
            case Outcome.ACCEPTED:
                attempt.outcome = AttemptOutcome.ACCEPTED
                await self.sent(
                    session,
                    delivery,
                    dispatch,
                    provider=attempt.provider,
                    message_id=result.provider_message_id,
                    now=now,
                )
                return
            case Outcome.UNKNOWN if delivery.channel == Channel.SMS:
                attempt.outcome = AttemptOutcome.UNKNOWN
                attempt.next_check_at = now
                return
            case Outcome.TRANSIENT | Outcome.UNKNOWN:
                attempt.outcome = AttemptOutcome.TRANSIENT
                if self.retry_later(delivery, now=now, error=result.detail):
                    return
                if self.fail_over(delivery, now=now, error=result.detail):
                    return
            case Outcome.THROTTLED:
                attempt.outcome = AttemptOutcome.TRANSIENT
                if self.fail_over(delivery, now=now, error=result.detail):
                    return
            case Outcome.PERMANENT:
                attempt.outcome = AttemptOutcome.PERMANENT
                if result.scope == Scope.PROVIDER and self.fail_over(
                    delivery, now=now, error=result.detail
                ):
                    return
        await self.give_up(session, delivery, dispatch, reason=result.detail, now=now)
