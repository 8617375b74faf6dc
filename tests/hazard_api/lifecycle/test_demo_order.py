"""The demo county's 金龙鞭炮厂 is suspended by its 停产整顿 order, seeded as POST /suspensions
writes it (文号, reason, events; its audit chain starts with its first change); demo data
marking an enterprise suspended without an order is refused."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.seed import DemoCounty, load_demo
from shared.contract import ACCIDENT_EVENTS, Envelope, SuspensionEvent
from tests.hazard_api.lifecycle.conftest import Api
from tests.hazard_api.lifecycle.test_accident_closure import APPLICATION


async def test_jinlong_is_suspended_by_its_order(api: Api, app: FastAPI) -> None:
    office = api.as_("office")
    assert (await office.get("/units/ent-jinlong")).json()["status"] == "suspended"
    orders = [s for s in (await office.get("/suspensions")).json() if s["unit_id"] == "ent-jinlong"]
    assert len(orders) == 1
    order = orders[0]
    assert (order["order_no"], order["status_label"]) == ("演应急停〔2026〕3号", "停产整顿中")
    assert "超量储存" in order["reason"]
    assert order["allowed_actions"] == {"apply": "申请复工复产"}
    o = outbox_tables.outbox
    async with app.state.sessionmaker() as session:
        audited = await session.execute(
            select(AuditRow.action, AuditRow.actor_role).where(
                AuditRow.entity_type == "suspension", AuditRow.entity_id == order["id"]
            )
        )
        # Not audited, like the rest of the demo county: its chain starts with its first change.
        assert audited.all() == []
        rows = await session.scalars(select(o.c.value).where(o.c.topic == ACCIDENT_EVENTS))
        events = [Envelope.model_validate_json(v).typed_payload() for v in rows]
    ordered = [e for e in events if isinstance(e, SuspensionEvent)]
    assert [(e.event.value, e.facts.unit_id) for e in ordered] == [
        ("suspension.ordered", "ent-jinlong")
    ]
    assert (await office.get("/audit/verify")).json()["ok"] is True
    # A second order is refused, as for any enterprise under one; the order goes on.
    again = {"unit_id": "ent-jinlong", "order_no": "演应急停〔2026〕9号", "reason": "重复"}
    assert (await office.post("/suspensions", again)).status_code == 409
    application = {k: "已完成" for k in APPLICATION}
    r = await office.post(f"/suspensions/{order['id']}/application", application)
    assert r.status_code == 200 and r.json()["status"] == "applied"
    assert (await office.get("/audit/verify")).json()["ok"] is True


def test_suspended_without_an_order_is_refused() -> None:
    raw = load_demo().model_dump()
    jinlong = next(e for e in raw["enterprises"] if e["id"] == "ent-jinlong")
    jinlong |= {"status": "suspended", "suspension": None}
    with pytest.raises(ValidationError, match="suspended only by its 停产整顿 order"):
        DemoCounty.model_validate(raw)
