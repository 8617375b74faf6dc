"""Delivery receipts pushed by Aliyun and Tencent: validated, applied once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from services.notification.delivery.models import Delivery
from services.notification.main import create_app
from shared.contract import ChainRole, Urgency
from tests.notification.conftest import (
    PEOPLE,
    Harness,
    aliyun_config,
    org_events,
    step_fired,
    tencent_config,
)


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
    report = {
        "phone_number": sms.phone,
        "send_time": "2026-03-06 09:00:00",
        "report_time": "2026-03-06 09:00:05",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": sms.message_id,
        "out_id": sms.out_id,
    }
    for _ in range(2):  # the provider may push the same report twice
        response = await client.post("/receipts/aliyun?token=rt-1", json=[report])
        assert response.status_code == 200 and response.json()["code"] == 0
    assert await statuses(h) == [("sms", "delivered")]
    delivered = [e for e in await h.events() if e["status"] == "delivered"]
    assert len(delivered) == 1


async def test_receipts_are_validated(client_for, aliyun) -> None:
    _, client = await client_for(sms_providers=[aliyun_config(aliyun.url)])
    assert (await client.post("/receipts/aliyun?token=wrong", json=[])).status_code == 403
    assert (await client.post("/receipts/aliyun", json=[])).status_code == 403
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
