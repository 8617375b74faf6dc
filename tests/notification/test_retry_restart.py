"""The retry schedule is in the database: a worker restarted in the middle of it (even one
that died during a provider call) resumes it, losing nothing and sending nothing twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from services.notification.delivery.models import Delivery, DeliveryAttempt
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.harness import wait_for
from tests.notification.settings import aliyun_config

ROLES = [
    ChainRole.ENTERPRISE_PRINCIPAL,
    ChainRole.ENTERPRISE_SAFETY_MANAGER,
    ChainRole.TOWNSHIP_PRINCIPAL,
    ChainRole.TOWNSHIP_IN_CHARGE,
    ChainRole.DEPARTMENT_HEAD,
]
PHONES = [PEOPLE[p].mobile or "" for p in ("p-firm", "p-firm-sm", "p-town", "p-town-in", "p-dept")]


async def rows(h: Any) -> tuple[list[Delivery], list[DeliveryAttempt]]:
    async with h.runtime.sessionmaker() as session:
        deliveries = list(await session.scalars(select(Delivery).order_by(Delivery.id)))
        attempts = list(await session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)))
        return deliveries, attempts


def sent_per_number(aliyun: Any) -> list[int]:
    return [len(aliyun.emulator.sends_to(phone)) for phone in PHONES]


async def test_a_restarted_worker_resumes_the_retry_schedule(make_harness, aliyun):
    settings: dict[str, Any] = {
        "sms_providers": [aliyun_config(aliyun.url, daily_cap=100)],
        "default_channels": ["sms"],
        "digest_window_s": 0,
    }
    first = await make_harness(**settings)
    aliyun.emulator.mode = "5xx"
    await first.org(org_events())
    for n in (1, 2):  # one dispatch per person and hazard
        await first.step(step_fired(first.clock, roles=ROLES, hazard_n=n, urgency=Urgency.NORMAL))
        await first.settle()
    first.clock.advance(seconds=5)
    await first.settle()
    deliveries, attempts = await rows(first)
    assert len(deliveries) == 10 and {d.status for d in deliveries} == {"pending"}
    assert {a.outcome for a in attempts} == {"transient"}
    schedule = {d.id: d.next_attempt_at for d in deliveries}
    assert all(at is not None and at > first.clock.now() for at in schedule.values())
    await first.runtime.stop()  # the worker goes away in the middle of the schedule

    # A new worker on the same database: nothing happens before the schedule says so.
    second = await make_harness(**settings)
    await second.settle()
    assert len((await rows(second))[1]) == len(attempts)
    aliyun.emulator.mode = "timeout"  # the provider accepts, then answers too late …
    aliyun.emulator.delay_s = 5.0
    second.clock.set(max(at for at in schedule.values() if at is not None))
    sending = asyncio.create_task(second.runtime.sender.send_due())
    await wait_for(lambda: len(aliyun.emulator.accepted) == 10)
    sending.cancel()  # … and this worker dies during the call, its attempts still pending
    await asyncio.gather(sending, return_exceptions=True)
    await second.runtime.stop()
    _, attempts = await rows(second)
    assert sum(a.outcome == "pending" for a in attempts) == 10

    # The third worker asks the provider about the pending calls instead of sending again.
    aliyun.emulator.mode = "ok"
    third = await make_harness(**settings)
    for _ in range(4):
        third.clock.advance(timedelta(seconds=30))
        await third.settle()
    assert sent_per_number(aliyun) == [2, 2, 2, 2, 2]  # two hazards each, once
    deliveries, attempts = await rows(third)
    assert {d.status for d in deliveries} == {"delivered"}
    assert not any(a.outcome == "pending" for a in attempts)
