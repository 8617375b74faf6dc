"""The delivery log: written before the provider is called, every attempt kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notification.delivery.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from services.notification.providers.aliyun import AliyunProvider
from services.notification.providers.base import SendResult, SmsMessage
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import aliyun_config


class ObservingProvider(AliyunProvider):
    """Looks into the delivery log at the moment the provider is called."""

    seen: list[tuple[str, str]]
    sessionmaker: async_sessionmaker[AsyncSession]

    async def send(self, message: SmsMessage) -> SendResult:
        async with self.sessionmaker() as session:
            attempt = (
                await session.scalars(
                    select(DeliveryAttempt).where(DeliveryAttempt.out_id == message.out_id)
                )
            ).one()
            delivery = await session.get(Delivery, attempt.delivery_id)
            assert delivery is not None
            self.seen.append((delivery.status, attempt.outcome))
        return await super().send(message)


async def test_log_row_is_committed_before_the_provider_call(make_harness, aliyun) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    observer = ObservingProvider(aliyun_config(aliyun.url))
    observer.seen = []
    observer.sessionmaker = h.runtime.sessionmaker
    h.runtime.sender.providers = [observer]
    await h.org(org_events())
    await h.step(
        step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.URGENT)
    )
    await h.settle()
    assert observer.seen == [(DeliveryStatus.PENDING, AttemptOutcome.PENDING)]
    async with h.runtime.sessionmaker() as session:
        delivery = (await session.scalars(select(Delivery))).one()
        attempt = (await session.scalars(select(DeliveryAttempt))).one()
    assert (delivery.status, delivery.person_id, delivery.channel) == ("sent", "p-firm", "sms")
    assert attempt.outcome == AttemptOutcome.ACCEPTED
    assert attempt.provider_message_id == aliyun.emulator.accepted[0].message_id
    assert len(aliyun.emulator.sends_to(PEOPLE["p-firm"].mobile or "")) == 1
    [event] = await h.events()
    assert (event["status"], event["channel"], event["provider"]) == ("sent", "sms", "aliyun")
