"""Provider outages (#17): the SMS provider answering 500 for a minute, the mail server down
for a minute (connections refused, then 421). Every planned text and email still goes out,
exactly once as the provider's and the mail server's own records show, on the moved clock."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from services.notification.delivery.models import Delivery
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import aliyun_config

# Five people of the chain get a notice about each hazard: 30 hazards → 150 notices.
ROLES = [
    ChainRole.ENTERPRISE_PRINCIPAL,
    ChainRole.ENTERPRISE_SAFETY_MANAGER,
    ChainRole.TOWNSHIP_PRINCIPAL,
    ChainRole.TOWNSHIP_IN_CHARGE,
    ChainRole.DEPARTMENT_HEAD,
]
PERSONS = ["p-firm", "p-firm-sm", "p-town", "p-town-in", "p-dept"]
HAZARDS = 30


async def plan_150(h: Any) -> None:
    """150 notices, each its own dispatch (no digest window, bundled one step at a time);
    a third urgent (each its own SendSms), the rest routine (SendBatchSms)."""
    await h.org(org_events())
    for n in range(1, HAZARDS + 1):
        urgency = Urgency.URGENT if n % 3 == 0 else Urgency.NORMAL
        await h.step(step_fired(h.clock, roles=ROLES, hazard_n=n, urgency=urgency))
        await h.settle()


async def move(h: Any, seconds: int, step: int = 5) -> None:
    for _ in range(seconds // step):
        h.clock.advance(seconds=step)
        await h.settle()


async def statuses(h: Any, channel: str) -> Counter[str]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.channel == channel))
        return Counter(d.status for d in rows)


async def test_sms_provider_500_for_a_minute_every_text_once(make_harness, aliyun):
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url, daily_cap=100)],
        default_channels=["sms"],
        digest_window_s=0,
    )
    aliyun.emulator.mode = "5xx"
    await plan_150(h)
    await move(h, 60)
    assert aliyun.emulator.accepted == []
    assert aliyun.emulator.requests > HAZARDS  # tried, and tried again, during the outage
    assert (await statuses(h, "sms"))["pending"] == 150
    aliyun.emulator.mode = "ok"
    await move(h, 600, step=10)
    texts = Counter((a.phone, a.params["code"]) for a in aliyun.emulator.accepted)
    assert len(aliyun.emulator.accepted) == 150
    assert set(texts.values()) == {1}
    expected = {
        (PEOPLE[p].mobile, f"YH-2026-{n:04d}") for p in PERSONS for n in range(1, HAZARDS + 1)
    }
    assert set(texts) == expected
    assert await statuses(h, "sms") == {"sent": 150}
    assert await h.events("notification.alert") == []


async def test_smtp_down_for_a_minute_every_email_once(make_harness, smtp):
    h = await make_harness(default_channels=["email"], digest_window_s=0)
    smtp.stop()  # connection refused
    await plan_150(h)
    await move(h, 30)
    smtp.mailbox.refuse = "421 4.3.2 Service not available, closing transmission channel"
    smtp.start()
    await move(h, 30)
    assert smtp.mailbox.messages == []
    assert (await statuses(h, "email"))["pending"] == 150
    smtp.mailbox.refuse = None
    await move(h, 600, step=10)
    ids = Counter(str(m["Message-ID"]) for m in smtp.mailbox.messages)
    assert len(smtp.mailbox.messages) == 150
    assert len(ids) == 150
    per_person = Counter(str(m["To"]) for m in smtp.mailbox.messages)
    assert per_person == {PEOPLE[p].email: HAZARDS for p in PERSONS}
    assert await statuses(h, "email") == {"sent": 150}
    assert await h.events("notification.alert") == []


async def test_an_email_whose_answer_was_lost_is_resent_with_its_message_id(make_harness, smtp):
    """SMTP has no status query: a message the server kept while its answer never arrived
    is sent again, at least once, with the same Message-ID (which a reader or a checker
    counts once)."""
    h = await make_harness(default_channels=["email"], digest_window_s=0)
    smtp.mailbox.lose_answer = "451 4.3.0 Temporary failure"
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=ROLES[:2], hazard_n=1))
    await h.settle()
    assert len(smtp.mailbox.messages) == 2
    smtp.mailbox.lose_answer = None
    await move(h, 30)
    ids = Counter(str(m["Message-ID"]) for m in smtp.mailbox.messages)
    assert len(smtp.mailbox.messages) == 4 and set(ids.values()) == {2}
    assert await statuses(h, "email") == {"sent": 2}
