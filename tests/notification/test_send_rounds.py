"""Send rounds beside each other (#15): an `immediate` notice goes out while an earlier round
still waits for its provider; a pass is followed by another only when it left work due; an
urgent round's texts go and are recorded before its emails. (Rounds beside the reconciler:
test_send_recovery.py.)"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.notification.delivery.models import Delivery, DeliveryAttempt, Dispatch
from services.notification.scheduler import Scheduler
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import aliyun_config

TOWN_PHONE = PEOPLE["p-town"].mobile or ""
FIRM_PHONE = PEOPLE["p-firm"].mobile or ""
CHAIN = [
    ChainRole.TOWNSHIP_PRINCIPAL,
    ChainRole.ENTERPRISE_PRINCIPAL,
    ChainRole.ENTERPRISE_SAFETY_MANAGER,
]


class NeverTicks:
    """A clock whose interval never ends: the loops move only when woken."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock

    def now(self) -> Any:
        return self.clock.now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.Event().wait()


def woken_only(rt: Any, prepare: Any, clock: Any) -> None:
    """Run the runtime's loops on a scheduler no tick ever wakes: only commits do."""
    rt.scheduler = Scheduler(
        prepare=prepare,
        sender=rt.sender,
        reconciler=rt.reconciler,
        clock=NeverTicks(clock),
        interval_s=3600,
    )
    rt.scheduler.start()
    rt._running = True


async def until(condition: Any, what: str) -> None:
    for _ in range(600):  # a generous bound for a loaded machine, not a timing assertion
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def attempt_outcomes(h: Any) -> dict[str, list[str]]:
    """Outcomes of the SMS attempts, per hazard."""
    async with h.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Dispatch.hazard_ids, DeliveryAttempt.outcome)
            .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
            .join(Dispatch, Dispatch.id == Delivery.dispatch_id)
            .where(DeliveryAttempt.channel == "sms")
        )
        out: dict[str, list[str]] = {}
        for hazard_ids, outcome in rows:
            for hazard_id in hazard_ids:
                out.setdefault(hazard_id, []).append(outcome)
        return out


async def test_an_immediate_notice_goes_while_an_earlier_round_waits_for_its_provider(
    make_harness: Any, aliyun: Any
) -> None:
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url, timeout_s=60)], default_channels=["sms"]
    )
    await h.org(org_events())
    rt = h.runtime
    # Only the consumer's commit wakes the loops: nothing is sent on a tick.
    woken_only(rt, rt.prepare_and_claim, h.clock)
    aliyun.emulator.mode = "timeout"  # accepted, then the answer hangs
    aliyun.emulator.delay_s = 60
    first = step_fired(
        h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=1
    )
    await h.step(first)
    await until(lambda: aliyun.emulator.sends_to(TOWN_PHONE), "the first accident's text")
    aliyun.emulator.mode = "ok"
    second = step_fired(
        h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=2
    )
    await h.step(second)
    await until(lambda: aliyun.emulator.sends_to(FIRM_PHONE), "the second accident's text")
    for _ in range(600):  # the second round records its answer
        outcomes = await attempt_outcomes(h)
        if outcomes.get("h-2") == ["accepted"]:
            break
        await asyncio.sleep(0.05)
    assert outcomes["h-2"] == ["accepted"]
    assert outcomes["h-1"] == ["pending"]  # the first round still waits for its answer
    assert aliyun.emulator.sends_to(TOWN_PHONE)[0].at < aliyun.emulator.sends_to(FIRM_PHONE)[0].at


def counting(prepare: Any) -> tuple[Any, list[int]]:
    """`prepare`, counting its passes."""
    passes: list[int] = []

    async def counted() -> Any:
        passes.append(1)
        return await prepare()

    return counted, passes


async def test_a_pass_that_leaves_nothing_due_is_not_followed_by_another_at_once(
    make_harness: Any, aliyun: Any
) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    rt = h.runtime
    prepare, passes = counting(rt.prepare_and_claim)
    woken_only(rt, prepare, h.clock)
    await until(lambda: passes, "the first (empty) pass")
    step = step_fired(
        h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=1
    )
    await h.step(step)
    await until(lambda: aliyun.emulator.sends_to(TOWN_PHONE), "the accident's text")
    await until_recorded(h, "h-1")
    # The start-up pass and the one the step woke; no empty pass beside the send round.
    assert len(passes) == 2


async def test_a_pass_that_leaves_due_work_is_followed_by_another_at_once(
    make_harness: Any, aliyun: Any
) -> None:
    # One person per pass: the chain's three people need three passes, and the clock never
    # ticks, so only the passes' own "more to do" can get the last two texts out.
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], dispatch_batch=1
    )
    await h.org(org_events())
    rt = h.runtime
    woken_only(rt, rt.prepare_and_claim, h.clock)
    await h.step(step_fired(h.clock, roles=CHAIN, urgency=Urgency.IMMEDIATE, hazard_n=1))
    for phone in (TOWN_PHONE, FIRM_PHONE, PEOPLE["p-firm-sm"].mobile or ""):
        await until(lambda p=phone: aliyun.emulator.sends_to(p), f"the text to {phone}")


async def until_recorded(h: Any, hazard_id: str) -> None:
    for _ in range(600):
        if (await attempt_outcomes(h)).get(hazard_id) == ["accepted"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the answer for {hazard_id} was never recorded")


async def test_an_urgent_rounds_emails_go_once_its_texts_are_answered(
    make_harness: Any, aliyun: Any, smtp: Any
) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)])  # texts and emails
    await h.org(org_events())
    aliyun.emulator.mode = "timeout"  # accepted at once, answered this much later
    aliyun.emulator.delay_s = 0.5
    mailed: list[datetime] = []
    handle = smtp.mailbox.handle_DATA

    async def stamped(*args: Any) -> str:
        mailed.append(datetime.now(UTC))
        result: str = await handle(*args)
        return result

    smtp.mailbox.handle_DATA = stamped
    step = step_fired(
        h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=1
    )
    await h.step(step)
    await h.runtime.prepare()
    await h.runtime.sender.send_due()
    [text] = aliyun.emulator.sends_to(TOWN_PHONE)
    assert len(mailed) == 1
    assert mailed[0] >= text.at + timedelta(seconds=aliyun.emulator.delay_s)


async def test_an_urgent_rounds_texts_are_recorded_while_its_emails_are_still_going(
    make_harness: Any, aliyun: Any, smtp: Any
) -> None:
    # The mail server takes the email and then does not answer until released: the text's
    # answer is recorded (and told: NotificationChanged) meanwhile, not after the email's.
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], smtp_timeout_s=120)
    await h.org(org_events())
    mailing, release = threading.Event(), threading.Event()
    handle = smtp.mailbox.handle_DATA

    async def stalled(*args: Any) -> str:  # runs in the SMTP server's own thread and loop
        mailing.set()
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 120)
        result: str = await handle(*args)
        return result

    smtp.mailbox.handle_DATA = stalled
    step = step_fired(
        h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=1
    )
    await h.step(step)
    await h.runtime.prepare()
    sending = asyncio.create_task(h.runtime.sender.send_due())
    try:
        await until(mailing.is_set, "the email reached the mail server")
        for _ in range(600):  # a bound for a loaded machine, not a timing assertion
            if await channel_outcomes(h) == {"sms": ["accepted"], "email": ["pending"]}:
                break
            await asyncio.sleep(0.05)
        assert await channel_outcomes(h) == {"sms": ["accepted"], "email": ["pending"]}
        assert not sending.done()
    finally:
        release.set()
    assert await sending == 2
    assert await channel_outcomes(h) == {"sms": ["accepted"], "email": ["accepted"]}
    assert len(aliyun.emulator.sends_to(TOWN_PHONE)) == 1 and len(smtp.mailbox.messages) == 1


async def channel_outcomes(h: Any) -> dict[str, list[str]]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.execute(select(DeliveryAttempt.channel, DeliveryAttempt.outcome))
        out: dict[str, list[str]] = {}
        for channel, outcome in rows:
            out.setdefault(channel, []).append(outcome)
        return out


async def test_the_pass_that_bundles_an_immediate_notice_claims_its_delivery(
    make_harness: Any, aliyun: Any
) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    step = step_fired(
        h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], urgency=Urgency.IMMEDIATE, hazard_n=1
    )
    await h.step(step)
    prepared = await h.runtime.prepare(claim=True)
    assert prepared.claimed is not None
    # Committed with the dispatch: the attempt is logged before any call, and no round can
    # claim the delivery again.
    assert await attempt_outcomes(h) == {"h-1": ["pending"]}
    assert await h.runtime.sender.send_due() == 0
    assert not aliyun.emulator.sends_to(TOWN_PHONE)
    assert await h.runtime.sender.deliver(prepared.claimed) == 1
    assert len(aliyun.emulator.sends_to(TOWN_PHONE)) == 1
    assert await attempt_outcomes(h) == {"h-1": ["accepted"]}
