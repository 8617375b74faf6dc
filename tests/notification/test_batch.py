"""Aliyun SendBatchSms: texts due together go out in one call, each number still has its own
delivery-log attempt (written first), its own receipt and its own failover."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select, update

from services.notification.delivery.models import Delivery, DeliveryAttempt
from services.notification.main import create_app
from services.notification.providers.aliyun import AliyunProvider
from services.notification.providers.base import Outcome, SmsMessage
from shared.contract import ChainRole, PersonUpserted, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import aliyun_config, tencent_config

# One step, three people (enterprise principal and safety manager, township principal).
ROLES = [
    ChainRole.ENTERPRISE_PRINCIPAL,
    ChainRole.ENTERPRISE_SAFETY_MANAGER,
    ChainRole.TOWNSHIP_PRINCIPAL,
]
PERSONS = ["p-firm", "p-firm-sm", "p-town"]
PHONES = [PEOPLE[p].mobile or "" for p in PERSONS]


@pytest.fixture
def make_harness(make_harness: Any) -> Any:
    """Routine notices (what batches carry) go at once here: no digest window."""

    async def make(**overrides: Any) -> Any:
        return await make_harness(**{"digest_window_s": 0, **overrides})

    return make


async def notify_three(h: Any) -> None:
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=ROLES, urgency=Urgency.NORMAL))
    await h.settle()


async def attempts(h: Any) -> list[DeliveryAttempt]:
    async with h.runtime.sessionmaker() as session:
        return list(await session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)))


async def deliveries(h: Any) -> dict[str, Delivery]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.channel == "sms"))
        return {d.person_id: d for d in rows}


def per_number(running: Any) -> list[int]:
    return [len(running.emulator.sends_to(phone)) for phone in PHONES]


async def test_a_batch_is_one_call_and_every_person_is_sent(make_harness, aliyun) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await notify_three(h)
    assert aliyun.emulator.batches == [3]
    assert per_number(aliyun) == [1, 1, 1]
    [biz_id] = {a.message_id for a in aliyun.emulator.accepted}
    [batch] = {a.out_id for a in aliyun.emulator.accepted}
    logged = await attempts(h)
    assert sorted(a.out_id for a in logged) == [f"{batch}.{i}" for i in range(3)]
    assert {(a.outcome, a.provider_message_id) for a in logged} == {("accepted", biz_id)}
    sent = await deliveries(h)
    assert {p: (d.status, d.provider_message_id) for p, d in sent.items()} == {
        p: ("sent", biz_id) for p in PERSONS
    }
    # Each number got its own parameters (its own acknowledgement link).
    assert len({a.params["link"] for a in aliyun.emulator.accepted}) == 3
    assert sorted(e["person_id"] for e in await h.events()) == sorted(PERSONS)


async def test_urgent_texts_are_not_batched(make_harness, aliyun) -> None:
    # Aliyun may delay SendBatchSms under load; an urgent text must not wait for that.
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=ROLES, urgency=Urgency.URGENT))
    await h.settle()
    assert aliyun.emulator.batches == []
    assert per_number(aliyun) == [1, 1, 1]
    assert len({a.out_id for a in aliyun.emulator.accepted}) == 3


async def test_batch_size_one_sends_each_text_on_its_own(make_harness, aliyun) -> None:
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url, batch_size=1)], default_channels=["sms"]
    )
    await notify_three(h)
    assert aliyun.emulator.batches == []
    assert per_number(aliyun) == [1, 1, 1]
    assert len({a.message_id for a in aliyun.emulator.accepted}) == 3


async def test_a_batch_5xx_fails_over_number_by_number(make_harness, aliyun, tencent) -> None:
    providers = [aliyun_config(aliyun.url), tencent_config(tencent.url)]
    h = await make_harness(sms_providers=providers, default_channels=["sms"])
    aliyun.emulator.mode = "5xx"
    await notify_three(h)
    assert [(a.provider, a.outcome) for a in await attempts(h)] == [("aliyun", "transient")] * 3
    h.clock.advance(seconds=5)  # the backoff: retried as a batch once more, then Tencent
    await h.settle()
    log = [(a.provider, a.outcome) for a in await attempts(h)]
    assert log == [("aliyun", "transient")] * 6 + [("tencent", "accepted")] * 3
    assert aliyun.emulator.accepted == []
    assert per_number(tencent) == [1, 1, 1]
    assert {d.provider for d in (await deliveries(h)).values()} == {"tencent"}


async def test_a_batch_timeout_is_reconciled_per_number_not_resent(
    make_harness, aliyun, tencent
) -> None:
    providers = [aliyun_config(aliyun.url, timeout_s=0.3), tencent_config(tencent.url)]
    h = await make_harness(sms_providers=providers, default_channels=["sms"])
    aliyun.emulator.mode = "timeout"  # accepted, answered too late
    aliyun.emulator.delay_s = 1.0
    await notify_three(h)
    assert aliyun.emulator.batches == [3]
    assert per_number(aliyun) == [1, 1, 1]
    assert tencent.emulator.accepted == []
    assert [a.outcome for a in await attempts(h)] == ["accepted"] * 3
    assert {d.status for d in (await deliveries(h)).values()} == {"delivered"}


async def test_a_batch_on_a_provider_that_is_down_is_retried_until_one_recovers(
    make_harness, aliyun, tencent, smtp
) -> None:
    """Routine texts are not moved to email while the horizon lasts: round after round over
    the providers, then each goes out once when a provider is back."""
    providers = [aliyun_config(aliyun.url), tencent_config(tencent.url)]
    h = await make_harness(sms_providers=providers, default_channels=["sms"])
    aliyun.emulator.mode = "down"
    tencent.emulator.mode = "5xx"
    await notify_three(h)
    for _ in range(4):
        h.clock.advance(seconds=30)
        await h.settle()
    outcomes = [(a.channel, a.provider, a.outcome) for a in await attempts(h)]
    assert outcomes.count(("sms", "aliyun", "transient")) >= 6  # at least two rounds
    assert outcomes.count(("sms", "tencent", "transient")) >= 6
    assert {o for _, _, o in outcomes} == {"transient"}
    assert {d.status for d in (await deliveries(h)).values()} == {"pending"}
    aliyun.emulator.mode = "ok"
    h.clock.advance(seconds=300)
    await h.settle()
    assert per_number(aliyun) == [1, 1, 1]
    assert {d.status for d in (await deliveries(h)).values()} == {"sent"}
    assert smtp.mailbox.messages == []


async def test_a_refused_batch_is_retried_one_number_at_a_time(make_harness, aliyun, smtp) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    await h.org(
        [PersonUpserted(person_id="p-town", name="镇长戊", mobile="999", email="p-town@gov.test")]
    )
    await h.step(step_fired(h.clock, roles=ROLES, urgency=Urgency.NORMAL))
    await h.settle()
    assert aliyun.emulator.batches == []  # the batch with the bad number was refused whole
    assert per_number(aliyun)[:2] == [1, 1]
    by_person: dict[int, list[str]] = {}
    for a in await attempts(h):
        by_person.setdefault(a.delivery_id, []).append(f"{a.channel}:{a.outcome}")
    assert sorted(by_person.values()) == [
        ["email:accepted"],  # the bad number's notice, by email
        ["sms:permanent", "sms:accepted"],  # batch refused, then sent on its own
        ["sms:permanent", "sms:accepted"],
        ["sms:permanent", "sms:permanent"],  # batch refused, then refused on its own
    ]
    sent = await deliveries(h)
    assert {p: d.status for p, d in sent.items()} == {
        "p-firm": "sent",
        "p-firm-sm": "sent",
        "p-town": "failed",
    }
    assert len(smtp.mailbox.to("p-town@gov.test")) == 1


async def test_receipts_match_biz_id_and_number(make_harness, aliyun) -> None:
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], receipt_token="t"
    )
    await notify_three(h)
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime

    def report(phone: str, success: bool, out_id: str | None = None) -> dict[str, Any]:
        [sms] = aliyun.emulator.sends_to(phone)
        return {
            "phone_number": sms.phone,
            "success": success,
            "biz_id": sms.message_id,
            "out_id": out_id if out_id is not None else sms.out_id,
            "err_code": "DELIVERED" if success else "MK:0005",
        }

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        for _ in range(2):  # pushed twice: one receipt per number still counts once
            body = [report(PHONES[0], True), report(PHONES[1], True)]
            assert (await client.post("/receipts/aliyun?token=t", json=body)).status_code == 200
        # The third number's report, as if the send's answer had never reached the log: found
        # by the batch's OutId and the number.
        async with h.runtime.sessionmaker() as session, session.begin():
            await session.execute(
                update(DeliveryAttempt)
                .where(DeliveryAttempt.address == PHONES[2])
                .values(provider_message_id=None)
            )
        body = [report(PHONES[2], False)]
        assert (await client.post("/receipts/aliyun?token=t", json=body)).status_code == 200
    sent = await deliveries(h)
    assert {p: d.status for p, d in sent.items()} == {
        "p-firm": "delivered",
        "p-firm-sm": "delivered",
        "p-town": "failed",
    }
    statuses = [(e["person_id"], e["status"]) for e in await h.events()]
    assert statuses.count(("p-firm", "delivered")) == 1
    assert statuses.count(("p-town", "failed")) == 1


async def test_a_number_is_never_twice_in_one_batch(make_harness, aliyun) -> None:
    """Two people sharing one number: their texts go in different calls, so a receipt
    (BizId + number) names exactly one of them."""
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await h.org(org_events())
    await h.org([PersonUpserted(person_id="p-firm-sm", name="安全员癸", mobile=PHONES[0])])
    await h.step(step_fired(h.clock, roles=ROLES[:1], urgency=Urgency.NORMAL, hazard_n=1))
    await h.step(step_fired(h.clock, roles=ROLES[1:], urgency=Urgency.NORMAL, hazard_n=2))
    await h.settle()
    sends = aliyun.emulator.sends_to(PHONES[0])
    assert len(sends) == 2 and sends[0].message_id != sends[1].message_id
    assert per_number(aliyun)[2] == 1


async def test_emulator_checks_batch_requests(aliyun) -> None:
    provider = AliyunProvider(aliyun_config(aliyun.url))
    variables = {
        "county": "示范县",
        "unit": "企业",
        "level": "一般事故隐患",
        "code": "YH-1",
        "status": "已逾期1天（整改期限3月5日）",
        "ask": "请立即完成整改并申请验收",
        "phone": "0571-88880000",
    }
    messages = [
        SmsMessage(f"1380000{n:04d}", "notice", {**variables, "link": f"http://t/a/{n}"}, "", "")
        for n in (21, 22)
    ]
    result = await provider.send_batch(messages, "batch-1")
    assert result.outcome == Outcome.ACCEPTED, result
    assert [(a.phone, a.params["link"], a.out_id) for a in aliyun.emulator.accepted] == [
        ("13800000021", "http://t/a/21", "batch-1"),
        ("13800000022", "http://t/a/22", "batch-1"),
    ]
    # Arrays of different lengths are refused, signed correctly or not.
    params = provider.signed_params(
        "SendBatchSms",
        {
            "PhoneNumberJson": '["13800000021","13800000022"]',
            "SignNameJson": '["示范县安委办"]',
            "TemplateCode": "SMS_900003",
            "TemplateParamJson": "[]",
        },
    )
    async with httpx.AsyncClient() as client:
        answer = (await client.post(aliyun.url, data=params)).json()
    assert answer["Code"] == "isv.INVALID_PARAMETERS"
    assert len(aliyun.emulator.accepted) == 2
    await provider.aclose()
