"""State changes of the delivery log, recorded only as what really happened.

A transient failure (5xx, timeout, refused connection, SMTP 4xx, throttling) is tried again:
at the next SMS provider at once, else after a backoff (retry.py), round after round, until
the retry horizon; an urgent notice also opens its other channel at once and keeps trying
the first. A permanent failure (invalid number, template refused) stops that channel at
once. A delivery that failed for good is counted (`notification_deliveries_failed_total`)
and raises an alert, which escalation turns into a task for the county office.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.notification.config import Settings
from services.notification.delivery import service
from services.notification.delivery.bundle import new_delivery
from services.notification.delivery.models import (
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    Dispatch,
)
from services.notification.delivery.retry import FAILED_FOR_GOOD, RetryPolicy
from services.notification.directory.service import SnapshotCache
from services.notification.events import emit_alert, emit_changed
from services.notification.providers.base import Outcome, Scope, SendResult
from shared.contract import Channel, NotificationStatus, Urgency

_FAILED_COUNTS = "notification_failed_counts"


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
    def __init__(
        self, settings: Settings, cache: SnapshotCache, rng: random.Random | None = None
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.retry = RetryPolicy(settings, rng)

    def backoff(self, attempt: int) -> timedelta:
        return self.retry.backoff(attempt)

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

    def _next_provider(self, delivery: Delivery) -> bool:
        """Move to the next SMS provider of this round; False when there is none."""
        delivery.provider_index += 1
        delivery.provider_attempts = 0
        return delivery.provider_index < len(self.settings.sms_providers)

    async def transient(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        *,
        now: datetime,
        error: str,
        provider_done: bool = False,
    ) -> None:
        """A failure worth trying again (`provider_done`: not at this provider for now, e.g.
        throttled). Ends the delivery only once the retry horizon has passed."""
        delivery.last_error = error
        delivery.updated_at = now
        if self.retry.expired(delivery, now):
            reason = f"{self.retry.horizon_label()}内多次重试仍未成功：{error}"
            await self.give_up(session, delivery, dispatch, reason=reason, now=now)
            return
        urgent = dispatch.urgency in (Urgency.URGENT, Urgency.IMMEDIATE)
        delivery.provider_attempts += 1
        if delivery.channel == Channel.SMS:
            in_a_row = 1 if urgent else self.settings.provider_attempts
            if provider_done or delivery.provider_attempts >= in_a_row:
                if self._next_provider(delivery):
                    delivery.next_attempt_at = now  # fail over at once
                    return
                delivery.provider_index = 0  # every provider failed: a new round, after a wait
                if urgent:
                    await self._open_other_channel(session, delivery, dispatch, now)
        elif urgent:
            await self._open_other_channel(session, delivery, dispatch, now)
        delivery.next_attempt_at = self.retry.next_at(delivery, now)

    async def _open_other_channel(
        self, session: AsyncSession, delivery: Delivery, dispatch: Dispatch, now: datetime
    ) -> Delivery | None:
        """The dispatch's delivery on the other channel, if it has none yet and the person
        has an address for it (written now, due at once)."""
        other = Channel.EMAIL if delivery.channel == Channel.SMS else Channel.SMS
        siblings = await service.deliveries_of(dispatch.id, session=session)
        if any(d.channel == other for d in siblings):
            return None
        snapshot = await self.cache.get(session=session)
        person = snapshot.persons.get(dispatch.person_id)
        address = (
            None if person is None else (person.email if other == Channel.EMAIL else person.mobile)
        )
        if not address or (person is not None and not person.active):
            return None
        fallback = new_delivery(dispatch, other, address, now, self.settings, fallback=True)
        session.add(fallback)
        return fallback

    async def give_up(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        *,
        reason: str,
        now: datetime,
        failure: bool = True,
    ) -> None:
        """This channel is done without success: SMS falls back to email. With no live
        channel left the dispatch is dead-lettered; either way a failure (not a redirect,
        `failure=False`, like a daily cap sending the text by email instead) is counted and
        raises an alert."""
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = reason
        delivery.updated_at = now
        await self._emit(session, delivery, dispatch, NotificationStatus.FAILED, now, reason)
        if failure:
            _count_failed(session, delivery.channel)
        others = await service.deliveries_of(dispatch.id, session=session)
        siblings = [d for d in others if d is not delivery]
        if delivery.channel == Channel.SMS and not any(
            d.channel == Channel.EMAIL for d in siblings
        ):
            opened = await self._open_other_channel(session, delivery, dispatch, now)
            if opened is not None:
                siblings.append(opened)
        if not any(d.status in service.LIVE for d in siblings):
            delivery.status = DeliveryStatus.DEAD
            await self._alert(
                session, delivery, dispatch, "dead_letter", f"短信与邮件均未能送达：{reason}", now
            )
        elif failure:  # the alert's channel says which one; another is still under way
            await self._alert(session, delivery, dispatch, "delivery_failed", reason, now)

    async def _alert(
        self,
        session: AsyncSession,
        delivery: Delivery,
        dispatch: Dispatch,
        kind: str,
        detail: str,
        now: datetime,
    ) -> None:
        await emit_alert(
            session,
            kind=kind,
            request_event_id=dispatch.request_ids[0],
            hazard_ids=dispatch.hazard_ids,
            person_id=dispatch.person_id,
            person_name=dispatch.person_name,
            channel=Channel(delivery.channel),
            notification_id=f"{dispatch.id}:{delivery.channel}",
            detail=detail,
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
            case Outcome.UNKNOWN if delivery.channel == Channel.SMS:
                attempt.outcome = AttemptOutcome.UNKNOWN  # reconciliation asks the provider
                attempt.next_check_at = now
            case Outcome.TRANSIENT | Outcome.UNKNOWN:  # an email resent keeps its Message-ID
                attempt.outcome = AttemptOutcome.TRANSIENT
                await self.transient(session, delivery, dispatch, now=now, error=result.detail)
            case Outcome.THROTTLED:
                attempt.outcome = AttemptOutcome.TRANSIENT
                await self.transient(
                    session, delivery, dispatch, now=now, error=result.detail, provider_done=True
                )
            case Outcome.PERMANENT:
                attempt.outcome = AttemptOutcome.PERMANENT
                delivery.last_error = result.detail
                if (
                    result.scope == Scope.PROVIDER
                    and delivery.channel == Channel.SMS
                    and self._next_provider(delivery)
                ):
                    delivery.next_attempt_at = now
                    delivery.updated_at = now
                    return
                await self.give_up(session, delivery, dispatch, reason=result.detail, now=now)


def _count_failed(session: AsyncSession, channel: str) -> None:
    """Count a delivery failed for good once its transaction committed (a pass that rolls
    back and runs again must not count it twice)."""
    pending: list[str] | None = session.info.get(_FAILED_COUNTS)
    if pending is None:
        pending = session.info[_FAILED_COUNTS] = []
        event.listen(session.sync_session, "after_commit", _counted, once=True)
        event.listen(session.sync_session, "after_rollback", _not_counted, once=True)
    pending.append(channel)


def _counted(session: Session) -> None:
    for channel in session.info.pop(_FAILED_COUNTS, None) or []:
        FAILED_FOR_GOOD.labels(channel).inc()


def _not_counted(session: Session) -> None:
    session.info.pop(_FAILED_COUNTS, None)
