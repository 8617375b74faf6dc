"""Acknowledgement (签收) links: page, confirmation, tampered and expired links."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from services.notification.ack.models import Acknowledgement, LinkUse
from services.notification.ack.tokens import make_token
from services.notification.main import create_app
from shared.contract import ChainRole, Channel, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.harness import Harness
from tests.notification.settings import SECRET, aliyun_config

# The recipient signs with the last four digits of the mobile the notice went to.
BY_RECIPIENT = {"who": "self", "phone_tail": (PEOPLE["p-firm"].mobile or "")[-4:]}


@pytest.fixture
async def sent(make_harness, aliyun) -> AsyncIterator[tuple[Harness, AsyncClient, str]]:
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], ack_link_ttl_s=86400
    )
    await h.org(org_events())
    for n in (1, 2):
        await h.step(
            step_fired(
                h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], hazard_n=n, urgency=Urgency.URGENT
            )
        )
    await h.settle()
    [sms] = aliyun.emulator.sends_to(PEOPLE["p-firm"].mobile or "")
    path = sms.params["link"].removeprefix("http://duban.test")
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        yield h, client, path


async def test_valid_link_shows_the_hazards_and_confirming_emits_acknowledged(sent) -> None:
    h, client, path = sent
    assert len(path) < 60  # short enough for an SMS
    page = await client.get(path)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    for fragment in ("督办签收", "厂长壬", "YH-2026-0001", "YH-2026-0002", "粉尘涉爆", "确认签收"):
        assert fragment in page.text
    # The rectifier reads what he must do, not a request to urge somebody.
    assert "2项隐患事项需要您办理" in page.text
    assert page.text.count("请立即完成整改并申请验收") == 2 and "督促" not in page.text
    assert "手机号码后四位" in page.text and "我不是厂长壬本人" in page.text
    confirmed = await client.post(path, data=BY_RECIPIENT)
    assert confirmed.status_code == 200 and "签收成功" in confirmed.text
    acks = [e for e in await h.events() if e["status"] == "acknowledged"]
    assert sorted(e["hazard_ids"][0] for e in acks) == ["h-1", "h-2"]
    assert {e["person_id"] for e in acks} == {"p-firm"}
    assert {e["channel"] for e in acks} == {"sms"}
    # Confirming again changes nothing; the page now says when it was acknowledged.
    again = await client.post(path, data=BY_RECIPIENT)
    assert again.status_code == 200
    assert len([e for e in await h.events() if e["status"] == "acknowledged"]) == 2
    assert "您已于" in (await client.get(path)).text


async def test_tampered_links_are_refused(sent) -> None:
    h, client, path = sent
    token = path.removeprefix("/a/")
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (flipped, token[:-2], "not-a-token", "x" * 300):
        for method in (client.get, client.post):
            response = await method(f"/a/{bad}")
            assert response.status_code == 400, bad
            assert "链接无效" in response.text
    other_key = make_token("another-secret", str(uuid.uuid4()), Channel.SMS, h.clock.now())
    assert (await client.get(f"/a/{other_key}")).status_code == 400
    assert [e for e in await h.events() if e["status"] == "acknowledged"] == []


async def test_expired_links_are_refused(sent) -> None:
    h, client, path = sent
    h.clock.advance(timedelta(days=1, seconds=1))
    for method in (client.get, client.post):
        response = await method(path)
        assert response.status_code == 410
        assert "链接已过期" in response.text
    assert [e for e in await h.events() if e["status"] == "acknowledged"] == []


async def test_a_signed_link_to_no_notice_is_not_found(sent) -> None:
    h, client, _ = sent
    token = make_token(SECRET, str(uuid.uuid4()), Channel.EMAIL, h.clock.now() + timedelta(1))
    response = await client.get(f"/a/{token}")
    assert response.status_code == 404 and "通知不存在" in response.text


async def acknowledged(h: Harness) -> list[tuple[str, str | None]]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(select(Acknowledgement))
        return [(a.person_id, a.verified_by) for a in rows]


async def link_uses(h: Harness) -> list[tuple[str, str, bool]]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(select(LinkUse).order_by(LinkUse.id))
        return [(u.name, u.unit, u.claimed_recipient) for u in rows]


async def test_a_forwarded_link_used_by_somebody_else_is_recorded_not_acknowledged(sent) -> None:
    h, client, path = sent
    # The principal forwarded the SMS to his deputy, who opens it and says who he is.
    other = {"who": "other", "name": "副厂长甲", "unit": "某化工厂"}
    answer = await client.post(path, data=other)
    assert answer.status_code == 200 and "已登记查看" in answer.text
    assert "须由厂长壬本人签收" in answer.text
    assert await link_uses(h) == [("副厂长甲", "某化工厂", False)]
    assert await acknowledged(h) == []
    assert [e for e in await h.events() if e["status"] == "acknowledged"] == []
    # The page still asks the recipient to sign.
    assert (
        "确认签收" in (await client.get(path)).text
        and "您已于" not in (await client.get(path)).text
    )
    # Somebody claiming to be the recipient without the right digits signs nothing either.
    wrong = await client.post(path, data={"who": "self", "phone_tail": "0000"})
    assert wrong.status_code == 403 and "后四位与接收人不符" in wrong.text
    assert await acknowledged(h) == []
    assert (await link_uses(h))[-1] == ("（未留姓名）", "", True)
    # The recipient himself signs; it is recorded as his, and how he showed it was him.
    assert (await client.post(path, data=BY_RECIPIENT)).status_code == 200
    assert await acknowledged(h) == [("p-firm", "phone_tail")]


async def test_the_form_must_say_who_and_guessing_the_digits_stops(sent) -> None:
    h, client, path = sent
    for bad, message in (
        ({}, "请选择"),
        ({"who": "self"}, "后四位"),
        ({"who": "self", "phone_tail": "12a4"}, "后四位"),
        ({"who": "other", "name": ""}, "姓名"),
    ):
        answer = await client.post(path, data=bad)
        assert answer.status_code == 400 and message in answer.text, bad
    for tail in ("0001", "0002", "0003", "0004", "0005"):
        assert (
            await client.post(path, data={"who": "self", "phone_tail": tail})
        ).status_code == 403
    locked = await client.post(path, data=BY_RECIPIENT)  # even the right digits, now
    assert locked.status_code == 403 and "次数过多" in locked.text
    assert await acknowledged(h) == []
