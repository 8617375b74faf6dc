"""Delivery receipts pushed by Aliyun and Tencent: validated, applied once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from services.notification.delivery.models import Delivery
from services.notification.main import create_app
from services.notification.receipts.models import Receipt
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.emulator_records import aliyun_delivered
from tests.notification.harness import Harness
from tests.notification.settings import aliyun_config, tencent_config


@pytest.fixture
async def client_for(make_harness) -> AsyncIterator[Any]:
    clients: list[AsyncClient] = []

    async def make(**overrides) -> tuple[Harness, AsyncClient]:
        h = await make_harness(default_channels=["sms"], receipt_token="rt-1", **overrides)
        await h.org(org_events())
        await h.step(
            step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.URGENT)
        )
        await h.settle()
        app = create_app(h.runtime.settings, h.clock)
        app.state.runtime = h.runtime
        client = AsyncClient(transport=ASGITransport(app=app), base_url="http://t")
        clients.append(client)
        return h, client

    yield make
    for client in clients:
        await client.aclose()


async def statuses(h: Harness) -> list[tuple[str, str]]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(select(Delivery).order_by(Delivery.id))
        return [(d.channel, d.status) for d in rows]


async def test_aliyun_receipt_marks_delivered_once(client_for, aliyun) -> None:
    h, client = await client_for(sms_providers=[aliyun_config(aliyun.url)])
    [sms] = aliyun.emulator.accepted
    report = aliyun_delivered(sms)
    for _ in range(2):  # the provider may push the same report twice
        response = await client.post("/receipts/aliyun?token=rt-1", json=[report])
        assert response.status_code == 200 and response.json()["code"] == 0
    assert await statuses(h) == [("sms", "delivered")]
    delivered = [e for e in await h.events() if e["status"] == "delivered"]
    assert len(delivered) == 1


async def test_receipts_are_validated(client_for, aliyun) -> None:
    _, client = await client_for(sms_providers=[aliyun_config(aliyun.url)])
    assert (await client.post("/receipts/aliyun?token=wrong", json=[])).status_code == 401
    assert (await client.post("/receipts/aliyun", json=[])).status_code == 401
    bad = await client.post("/receipts/aliyun?token=rt-1", json=[{"success": "maybe"}])
    assert bad.status_code == 422
    assert bad.json()["detail"] == "请求参数有误"
    bad_tc = await client.post(
        "/receipts/tencent?token=rt-1", json=[{"sid": "1", "mobile": "1", "report_status": "?"}]
    )
    assert bad_tc.status_code == 422


async def test_tencent_failure_receipt_falls_back_to_email(client_for, tencent, smtp) -> None:
    h, client = await client_for(sms_providers=[tencent_config(tencent.url)])
    [sms] = tencent.emulator.accepted
    report = {
        "user_receive_time": "2026-03-06 09:00:05",
        "nationcode": "86",
        "mobile": sms.phone.removeprefix("+86"),
        "report_status": "FAIL",
        "errmsg": "MK:0005",
        "description": "用户关机",
        "sid": sms.message_id,
    }
    for _ in range(2):
        response = await client.post("/receipts/tencent?token=rt-1", json=[report])
        assert response.status_code == 200 and response.json()["result"] == 0
    await h.settle()
    assert await statuses(h) == [("sms", "failed"), ("email", "sent")]
    assert len(smtp.mailbox.to(PEOPLE["p-firm"].email or "")) == 1


# ---------------------------------------------------------------- #17: who, how much, what
def a_report(n: int, **extra: Any) -> dict[str, Any]:
    return {"phone_number": f"1390000{n:04d}", "success": True, "biz_id": f"b{n}", **extra}


async def receipt_rows(h: Harness) -> int:
    async with h.runtime.sessionmaker() as session:
        return len((await session.scalars(select(Receipt.id))).all())


async def test_production_refuses_receipts_without_a_secret(client_for, aliyun) -> None:
    h, client = await client_for(sms_providers=[aliyun_config(aliyun.url)])
    # As a production process would be configured if it started without any receipt token
    # (it does not start: shared/safety.py); the endpoint refuses on its own as well.
    h.runtime.settings = h.runtime.settings.model_copy(
        update={"env": "production", "receipt_token": ""}
    )
    for url in ("/receipts/aliyun", "/receipts/aliyun?token=", "/receipts/tencent?token=x"):
        refused = await client.post(url, json=[a_report(1)])
        assert refused.status_code == 401, url
        assert refused.json()["detail"] == "未配置短信回执令牌，回执一律拒绝"
    # Outside production a stack without a token (make run) takes them.
    h.runtime.settings = h.runtime.settings.model_copy(update={"env": "development"})
    assert (await client.post("/receipts/aliyun", json=[a_report(1)])).status_code == 200
    assert await receipt_rows(h) == 1


async def test_each_provider_has_its_own_secret(client_for, aliyun) -> None:
    own = aliyun_config(aliyun.url).model_copy(update={"receipt_token": "aliyun-own-7f3c2a9d1e"})
    _, client = await client_for(sms_providers=[own])
    ok = await client.post("/receipts/aliyun?token=aliyun-own-7f3c2a9d1e", json=[a_report(1)])
    assert ok.status_code == 200
    # the service-wide token no longer opens this provider's callback
    assert (await client.post("/receipts/aliyun?token=rt-1", json=[a_report(2)])).status_code == 401
    # nor does one provider's secret open another kind's callback
    other = await client.post("/receipts/tencent?token=aliyun-own-7f3c2a9d1e", json=[])
    assert other.status_code == 401


async def test_a_batch_above_the_limits_is_413_and_writes_nothing(client_for, aliyun) -> None:
    h, client = await client_for(sms_providers=[aliyun_config(aliyun.url)])
    # The finding of #17: 20,000 fake receipts in one request were all written (41 s).
    flood = await client.post(
        "/receipts/aliyun?token=rt-1", json=[a_report(n) for n in range(20_000)]
    )
    assert flood.status_code == 413  # over the service-wide body limit before anything else
    assert flood.json()["detail"] == "请求体过大（上限 1 MB），请拆分后再提交"
    count = await client.post(
        "/receipts/aliyun?token=rt-1", json=[a_report(n) for n in range(1001)]
    )
    assert count.status_code == 413
    assert count.json()["detail"] == "一次回执最多 1000 条（收到 1001 条），请分批推送"
    padded = [a_report(n, note="备" * 2000) for n in range(100)]  # few reports, many bytes
    big = await client.post("/receipts/aliyun?token=rt-1", json=padded)
    assert big.status_code == 413 and "512 KB" in big.json()["detail"]
    assert await receipt_rows(h) == 0
    fine = await client.post("/receipts/aliyun?token=rt-1", json=[a_report(n) for n in range(1000)])
    assert fine.status_code == 200
    assert await receipt_rows(h) == 1000


async def test_a_nul_byte_in_a_receipt_is_a_4xx(client_for, aliyun) -> None:
    h, client = await client_for(sms_providers=[aliyun_config(aliyun.url)])
    for report in (
        a_report(1, phone_number="1390000\x000001"),
        a_report(1, biz_id="b\x001"),
        a_report(1, extra={"nested": "x\x00y"}),
    ):
        answer = await client.post("/receipts/aliyun?token=rt-1", json=[report])
        assert answer.status_code == 422, answer.text
        assert "回执内容不能包含控制字符" in answer.text
    tencent = {"mobile": "1\x00", "report_status": "SUCCESS", "sid": "s1"}
    assert (await client.post("/receipts/tencent?token=rt-1", json=[tencent])).status_code == 422
    assert await receipt_rows(h) == 0
