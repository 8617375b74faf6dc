"""Texts about one hazard reach a person in the order their steps fired, also when the first
was lost on the way to the provider and is settled only by reconciliation (`make chaos`, seed
753765, found the later one arriving first). An `immediate` text, and a text about another
hazard, do not wait."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.notification.delivery.models import Delivery, DeliveryAttempt, Dispatch
from shared.contract import ChainRole, Envelope, EscalationAction, Urgency
from tests.notification.county import org_events, step_fired
from tests.notification.settings import aliyun_config

ROLES = [ChainRole.ENTERPRISE_PRINCIPAL]


async def arrived(h: Any, aliyun: Any) -> list[list[str]]:
    """The request ids of each text the provider accepted, in the order it accepted them."""
    async with h.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(DeliveryAttempt.out_id, Dispatch.request_ids)
            .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
            .join(Dispatch, Dispatch.id == Delivery.dispatch_id)
        )
        requests = {out_id: request_ids for out_id, request_ids in rows}
    return [requests[a.out_id] for a in aliyun.emulator.accepted]


async def outcomes(h: Any) -> list[str]:
    async with h.runtime.sessionmaker() as session:
        query = select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)
        return list(await session.scalars(query))


@pytest.fixture
async def lost(make_harness: Any, aliyun: Any) -> tuple[Any, Envelope]:
    """The service, and a reminder about hazard 1 whose request never reached the provider
    (the caller timed out, so the outcome is unknown until the provider can be asked)."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url, timeout_s=0.3)],
        default_channels=["sms"],
        digest_window_s=0,
    )
    await h.org(org_events())
    aliyun.emulator.mode = "lost"
    aliyun.emulator.delay_s = 1.0
    first = step_fired(
        h.clock, roles=ROLES, action=EscalationAction.REMINDER, step_key="due", step_index=0
    )
    await h.step(first)
    await h.settle()
    assert await outcomes(h) == ["unknown"]
    assert aliyun.emulator.accepted == []
    aliyun.emulator.mode = "ok"
    h.clock.advance(seconds=30)  # before anyone may ask the provider about it
    return h, first


async def reconciled(h: Any) -> None:
    """Past the time after which Aliyun, unable to find an attempt, never got it (120 s)."""
    for _ in range(5):
        h.clock.advance(timedelta(seconds=60))
        await h.settle()


async def test_a_later_text_about_a_hazard_waits_for_an_earlier_one_lost_on_the_way(
    lost, aliyun
) -> None:
    h, first = lost
    later = step_fired(h.clock, roles=ROLES, step_key="overdue", step_index=1)
    await h.step(later)
    await h.settle()
    assert aliyun.emulator.accepted == []  # held behind the first, whose fate is unknown
    await reconciled(h)
    assert await arrived(h, aliyun) == [[str(first.event_id)], [str(later.event_id)]]
    assert await outcomes(h) == ["not_accepted", "accepted", "accepted"]


async def test_an_immediate_text_does_not_wait_behind_a_lost_one(lost, aliyun) -> None:
    h, first = lost
    immediate = step_fired(
        h.clock, roles=ROLES, urgency=Urgency.IMMEDIATE, step_key="now", step_index=1
    )
    await h.step(immediate)
    await h.settle()
    assert await arrived(h, aliyun) == [[str(immediate.event_id)]]
    await reconciled(h)
    assert await arrived(h, aliyun) == [[str(immediate.event_id)], [str(first.event_id)]]


async def test_a_text_about_another_hazard_does_not_wait(lost, aliyun) -> None:
    h, first = lost
    other = step_fired(h.clock, roles=ROLES, hazard_n=2)
    await h.step(other)
    await h.settle()
    assert await arrived(h, aliyun) == [[str(other.event_id)]]
    await reconciled(h)
    assert await arrived(h, aliyun) == [[str(other.event_id)], [str(first.event_id)]]
