"""An accident's upward report is done when the province acknowledged it: without a receipt
when the 2-hour clock (from receipt of the accident report) runs out, the county office is
alerted once to report by phone, and records that it did; a receipt in time keeps silent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ops.province_emulator import Running
from services.reporting.db import outbox_tables
from services.reporting.main import create_app
from services.reporting.runtime import Runtime
from shared.bearer import encode_token
from shared.clock import TestClock
from shared.contract import AccidentEventType, Envelope
from shared.db import transaction
from shared.labels import beijing_time
from tests.reporting.conftest import accident, issued, make_settings, start_runtime

# The helper's 快报 was received 20 minutes before it was recorded: 2 hours from receipt.
DUE_AFTER = timedelta(minutes=100)


@dataclass
class Link:
    runtime: Runtime
    client: httpx.AsyncClient
    office: dict[str, str]
    emulator: Running


@pytest.fixture
async def link(database_url: str, clock: TestClock, emulator: Running) -> AsyncIterator[Link]:
    settings = make_settings(database_url, emulator.url, run_jobs=False)
    app = create_app(settings, clock=clock)
    rt = app.state.runtime = await start_runtime(settings, clock)
    token = encode_token(
        {"sub": "u-office", "role": "county_office"},
        secret_key=settings.secret_key,
        clock=clock,
        minutes=10**4,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting.test") as c:
        yield Link(rt, c, {"Authorization": f"Bearer {token}"}, emulator)
    await rt.stop()
    await rt.engine.dispose()


async def _receive(rt: Runtime, envelope: Envelope) -> None:
    """The accident's 快报 as both consumers take it: the upward rules and the watch."""
    async with transaction(rt.sessionmaker) as session:
        await rt.intake.handle(session, envelope)
    async with transaction(rt.sessionmaker) as session:
        await rt.incoming.on_accident_event(session, envelope)
    async with transaction(rt.sessionmaker) as session:  # a redelivery starts nothing new
        await rt.incoming.on_accident_event(session, envelope)


async def _alerts(rt: Runtime) -> list[dict[str, Any]]:
    o = outbox_tables.outbox
    async with rt.sessionmaker() as session:
        rows = list(await session.scalars(select(o.c.value).order_by(o.c.id)))
    payloads = [Envelope.model_validate_json(v).payload for v in rows]
    return [p for p in payloads if p.get("kind") == "ack_overdue"]


async def test_no_receipt_within_two_hours_alerts_the_office_once(
    link: Link, clock: TestClock
) -> None:
    rt, t = link.runtime, clock.now()
    link.emulator.emulator.mode = "500"  # the province is down: no receipt
    await _receive(rt, accident(AccidentEventType.REPORTED, t))  # received at t - 20 min
    await rt.deliverer.run_once()
    clock.set(t + timedelta(minutes=99, seconds=59))
    assert await rt.incoming.acks.tick() == 0
    state = (await link.client.get("/accidents/a-1/acknowledgement", headers=link.office)).json()
    assert state["state"] == "waiting" and state["due_label"] == beijing_time(t + DUE_AFTER)
    clock.set(t + DUE_AFTER)
    assert await rt.incoming.acks.tick() == 1
    assert await rt.incoming.acks.tick() == 0
    alerts = await _alerts(rt)
    assert len(alerts) == 1 and alerts[0]["accident_id"] == "a-1"
    assert "仍未收到省级系统回执" in alerts[0]["detail"] and "电话" in alerts[0]["detail"]
    state = (await link.client.get("/accidents/a-1/acknowledgement", headers=link.office)).json()
    assert state["state"] == "overdue" and state["state_label"].startswith("超过2小时")

    report = {
        "reported_at": (t + timedelta(minutes=105)).isoformat(),
        "reported_to": "市应急管理局值班室 张三",
        "reported_by": "李四",
        "note": "已电话报告事故简要情况",
    }
    early = report | {"reported_at": (t + timedelta(hours=5)).isoformat()}
    url = "/accidents/a-1/phone-report"
    assert (await link.client.post(url, json=early, headers=link.office)).status_code == 422
    clock.set(t + timedelta(minutes=110))
    done = await link.client.post(url, json=report, headers=link.office)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "phone_reported"
    assert (await link.client.post(url, json=report, headers=link.office)).status_code == 409
    assert (await link.client.post(url, json=report)).status_code == 401
    missing = await link.client.get("/accidents/nope/acknowledgement", headers=link.office)
    assert missing.status_code == 404


async def test_a_receipt_in_time_keeps_the_watch_silent(link: Link, clock: TestClock) -> None:
    rt, t = link.runtime, clock.now()
    await _receive(rt, accident(AccidentEventType.REPORTED, t))
    await rt.deliverer.run_until_idle()
    assert link.emulator.emulator.ordered() == []  # the 快报 is not signed off yet
    clock.set(t + timedelta(minutes=30))
    await _receive(rt, issued(clock.now()))  # 签发: now it goes upward
    await rt.deliverer.run_until_idle()
    clock.set(t + timedelta(hours=3))
    assert await rt.incoming.acks.tick() == 0
    assert await _alerts(rt) == []
    state = (await link.client.get("/accidents/a-1/acknowledgement", headers=link.office)).json()
    assert state["state"] == "acknowledged"
    receipt = link.emulator.emulator.ordered()[0]["receipt_no"]
    assert state["receipt_no"] == receipt and state["acknowledged_at"] is not None
