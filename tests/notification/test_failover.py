"""Retries, failover between providers, fallback to email, dead letters, caps, timeouts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.notification.config import SmsProviderConfig
from services.notification.delivery.models import Delivery, DeliveryAttempt
from shared.broker import free_port
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.mail import body
from tests.notification.settings import aliyun_config, tencent_config

FIRM = PEOPLE["p-firm"]


async def attempts(h) -> list[tuple[str, str, str]]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))
        return [(a.channel, a.provider, a.outcome) for a in rows]


async def deliveries(h) -> list[tuple[str, str]]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(select(Delivery).order_by(Delivery.id))
        return [(d.channel, d.status) for d in rows]


def providers(aliyun: Any, tencent: Any, **kw: Any) -> list[SmsProviderConfig]:
    return [aliyun_config(aliyun.url, **kw), tencent_config(tencent.url, **kw)]


async def urgent_notice(h, n: int = 1) -> None:
    await h.step(
        step_fired(
            h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.URGENT, hazard_n=n
        )
    )


async def test_provider_a_5xx_then_provider_b_sends(make_harness, aliyun, tencent):
    """A routine text: two tries at the first provider (the backoff between them), then the
    next provider at once."""
    h = await make_harness(
        sms_providers=providers(aliyun, tencent),
        default_channels=["sms"],
        digest_window_s=0,
        retry_jitter=0,
    )
    aliyun.emulator.mode = "5xx"
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL]))
    await h.settle()
    assert await attempts(h) == [("sms", "aliyun", "transient")]
    assert tencent.emulator.accepted == []
    h.clock.advance(seconds=5)  # the backoff
    await h.settle()
    assert await attempts(h) == [
        ("sms", "aliyun", "transient"),
        ("sms", "aliyun", "transient"),
        ("sms", "tencent", "accepted"),
    ]
    assert len(tencent.emulator.sends_to(FIRM.mobile or "")) == 1
    assert aliyun.emulator.accepted == []
    [event] = await h.events()
    assert (event["status"], event["provider"]) == ("sent", "tencent")


async def test_urgent_fails_over_to_the_next_provider_at_once(make_harness, aliyun, tencent):
    h = await make_harness(sms_providers=providers(aliyun, tencent), default_channels=["sms"])
    aliyun.emulator.mode = "5xx"
    await h.org(org_events())
    await urgent_notice(h)
    await h.settle()
    assert await attempts(h) == [("sms", "aliyun", "transient"), ("sms", "tencent", "accepted")]
    assert await deliveries(h) == [("sms", "sent")]  # the other provider took it: no email


async def test_throttled_fails_over_at_once(make_harness, aliyun, tencent):
    h = await make_harness(
        sms_providers=providers(aliyun, tencent), default_channels=["sms"], digest_window_s=0
    )
    aliyun.emulator.mode = "throttle"
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL]))
    await h.settle()
    assert await attempts(h) == [("sms", "aliyun", "transient"), ("sms", "tencent", "accepted")]


async def test_urgent_both_providers_down_email_at_once_and_sms_kept_trying(
    make_harness, aliyun, tencent, smtp
):
    h = await make_harness(sms_providers=providers(aliyun, tencent), default_channels=["sms"])
    aliyun.emulator.mode = "down"
    tencent.emulator.mode = "5xx"
    await h.org(org_events())
    await urgent_notice(h)
    await h.settle()
    assert await attempts(h) == [
        ("sms", "aliyun", "transient"),
        ("sms", "tencent", "transient"),
        ("email", "smtp", "accepted"),
    ]
    assert await deliveries(h) == [("sms", "pending"), ("email", "sent")]
    assert len(smtp.mailbox.to(FIRM.email or "")) == 1
    aliyun.emulator.mode = "ok"  # the first provider is back: the text still goes out, once
    for _ in range(3):
        h.clock.advance(seconds=30)
        await h.settle()
    assert len(aliyun.emulator.sends_to(FIRM.mobile or "")) == 1
    assert await deliveries(h) == [("sms", "sent"), ("email", "sent")]
    assert len(smtp.mailbox.to(FIRM.email or "")) == 1
    statuses = [(e["channel"], e["status"]) for e in await h.events()]
    assert statuses == [("email", "sent"), ("sms", "sent")]
    assert await h.events("notification.alert") == []


async def test_nothing_works_until_the_horizon_dead_letter_and_alert(make_harness, aliyun, tencent):
    h = await make_harness(
        sms_providers=providers(aliyun, tencent),
        default_channels=["sms"],
        smtp_port=free_port(),  # nothing listens there
        retry_horizon_s=600,
    )
    aliyun.emulator.mode = tencent.emulator.mode = "5xx"
    await h.org(org_events())
    await urgent_notice(h)
    for _ in range(12):
        await h.settle()
        h.clock.advance(seconds=60)
    await h.settle()
    log = await attempts(h)
    assert {channel for channel, _, _ in log} == {"sms", "email"}
    assert all(outcome == "transient" for _, _, outcome in log)
    assert sorted(status for _, status in await deliveries(h)) == ["dead", "failed"]
    alerts = await h.events("notification.alert")
    assert sorted(a["kind"] for a in alerts) == ["dead_letter", "delivery_failed"]
    assert all(a["person_id"] == "p-firm" and a["person_name"] == "厂长壬" for a in alerts)
    # Bounded: nothing more is tried however long we wait.
    h.clock.advance(hours=5)
    await h.settle()
    assert len(await attempts(h)) == len(log)


async def test_bad_number_is_not_retried(make_harness, aliyun, tencent, smtp):
    from shared.contract import PersonUpserted

    h = await make_harness(sms_providers=providers(aliyun, tencent), default_channels=["sms"])
    await h.org(org_events())
    await h.org(
        [PersonUpserted(person_id="p-firm", name="厂长壬", mobile="999", email="p-firm@gov.test")]
    )
    await urgent_notice(h)
    await h.settle()
    assert await attempts(h) == [("sms", "aliyun", "permanent"), ("email", "smtp", "accepted")]


async def test_a_refused_template_stops_at_once_and_is_reported(make_harness, aliyun, smtp):
    """Permanent: the provider refuses the template. Not retried, however long we wait; the
    email goes instead, and the failed text is counted and reported."""
    from services.notification.config import ProviderTemplate

    config = aliyun_config(aliyun.url)
    config.templates["notice"] = ProviderTemplate(code="SMS_999999", params=["code"])
    h = await make_harness(sms_providers=[config], default_channels=["sms"])
    await h.org(org_events())
    await urgent_notice(h)
    await h.settle()
    h.clock.advance(hours=5)
    await h.settle()
    assert await attempts(h) == [("sms", "aliyun", "permanent"), ("email", "smtp", "accepted")]
    assert await deliveries(h) == [("sms", "failed"), ("email", "sent")]
    [alert] = await h.events("notification.alert")
    assert (alert["kind"], alert["channel"], alert["person_name"]) == (
        "delivery_failed",
        "sms",
        "厂长壬",
    )


async def test_timeout_after_acceptance_is_reconciled_not_resent(make_harness, aliyun, tencent):
    h = await make_harness(
        sms_providers=providers(aliyun, tencent, timeout_s=0.3), default_channels=["sms"]
    )
    aliyun.emulator.mode = "timeout"
    aliyun.emulator.delay_s = 1.0
    await h.org(org_events())
    await urgent_notice(h)
    await h.settle()
    assert len(aliyun.emulator.sends_to(FIRM.mobile or "")) == 1
    assert tencent.emulator.accepted == []
    assert await attempts(h) == [("sms", "aliyun", "accepted")]
    assert await deliveries(h) == [("sms", "delivered")]


async def test_daily_cap_overflows_to_email(make_harness, aliyun, smtp):
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url, daily_cap=2)], default_channels=["sms"]
    )
    await h.org(org_events())
    for n in range(1, 4):
        await urgent_notice(h, n)
        await h.settle()
        h.clock.advance(seconds=40)
    assert len(aliyun.emulator.sends_to(FIRM.mobile or "")) == 2
    [mail] = smtp.mailbox.to(FIRM.email or "")
    assert "YH-2026-0003" in body(mail, "plain")


async def test_same_content_within_30s_is_held_back(make_harness, aliyun):
    from shared.contract import PersonUpserted

    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    await h.org([PersonUpserted(person_id="p-firm", name="厂长壬", mobile=FIRM.mobile)])
    await urgent_notice(h, 1)
    await h.settle()
    h.clock.advance(seconds=10)
    await urgent_notice(h, 1)  # the same step fired again 10 s later: the same text
    await h.settle()
    assert len(aliyun.emulator.sends_to(FIRM.mobile or "")) == 1
    h.clock.advance(seconds=19)
    await h.settle()
    assert len(aliyun.emulator.sends_to(FIRM.mobile or "")) == 1
    h.clock.advance(seconds=1)
    await h.settle()
    assert len(aliyun.emulator.sends_to(FIRM.mobile or "")) == 2


async def test_the_log_is_readable_over_http(make_harness, aliyun, tencent, smtp):
    from httpx import ASGITransport, AsyncClient

    from services.notification.main import create_app

    h = await make_harness(sms_providers=providers(aliyun, tencent), default_channels=["sms"])
    aliyun.emulator.mode = "throttle"
    await h.org(org_events())
    await urgent_notice(h, 7)
    await h.settle()
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime
    async with AsyncClient(
        transport=ASGITransport(app=app), base_url="http://t", headers=h.bearer()
    ) as client:
        [row] = (await client.get("/deliveries", params={"hazard_id": "h-7"})).json()
        assert (await client.get("/deliveries", params={"hazard_id": "h-8"})).json() == []
        assert (await client.get("/deliveries", params={"limit": 0})).status_code == 422
    assert (row["person_id"], row["channel"], row["status"]) == ("p-firm", "sms", "sent")
    assert [(a["provider"], a["outcome"]) for a in row["attempts"]] == [
        ("aliyun", "transient"),
        ("tencent", "accepted"),
    ]


async def test_a_send_lost_on_the_way_is_resent_once_the_provider_denies_it(make_harness, aliyun):
    """The connection broke before Aliyun got the request: unknown outcome, the status query
    does not find it; after the provider's grace period it is sent again, once."""
    from services.notification.providers.aliyun import AliyunProvider
    from services.notification.providers.base import Outcome, SendResult, SmsMessage

    class LosesFirstRequest(AliyunProvider):
        lost = 0

        async def send(self, message: SmsMessage) -> SendResult:
            if not self.lost:
                self.lost += 1
                return SendResult(Outcome.UNKNOWN, detail="no answer: ReadError")
            return await super().send(message)

    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    provider = LosesFirstRequest(aliyun_config(aliyun.url))
    h.runtime.sender.providers = [provider]
    h.runtime.reconciler.providers = {provider.name: provider}
    await h.org(org_events())
    await urgent_notice(h)
    await h.settle()
    assert aliyun.emulator.accepted == []
    assert await attempts(h) == [("sms", "aliyun", "unknown")]
    h.clock.advance(seconds=60)
    await h.settle()
    assert aliyun.emulator.accepted == []  # not yet: Aliyun may still be processing it
    h.clock.advance(seconds=61)
    await h.settle()
    assert len(aliyun.emulator.sends_to(FIRM.mobile or "")) == 1
    assert await attempts(h) == [("sms", "aliyun", "not_accepted"), ("sms", "aliyun", "accepted")]
