"""节后复工复产: the county office opens a campaign for industries and townships; every
enterprise in scope passes its own acceptance (the 停产整顿 acceptance round) before it resumes;
the lists not yet accepted, by township and department, are chased by reminder events."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.db import outbox_tables
from shared.clock import TestClock
from shared.contract import ACCIDENT_EVENTS, CampaignEvent, Envelope
from tests.hazard_api.lifecycle.conftest import Api
from tests.hazard_api.lifecycle.test_accident_closure import ACCEPTANCE, CHECKLIST

# 烟花爆竹 (C26) and 矿山 (B10) in 大坪乡: 红星, 金龙 (under the demo's 停产整顿 order: in scope,
# left to its order — test_campaign_orders.py), 石峰.
CAMPAIGN = {
    "name": "2027年春节后复工复产验收",
    "notice_no": "演安委〔2027〕2号",
    "industry_prefixes": ["C26", "B10"],
    "township_ids": ["tw-daping"],
}
IN_SCOPE = ["ent-hongxing", "ent-jinlong", "ent-shifeng"]


async def campaign_events(app: FastAPI) -> list[CampaignEvent]:
    o = outbox_tables.outbox
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(o.c.value).where(o.c.topic == ACCIDENT_EVENTS).order_by(o.c.id)
        )
        payloads = [Envelope.model_validate_json(r.value).typed_payload() for r in rows]
    return [p for p in payloads if isinstance(p, CampaignEvent)]


async def test_a_campaign_from_opening_to_its_end(api: Api, app: FastAPI, clock: TestClock) -> None:
    office, daping, hongxing = api.as_("office"), api.as_("daping"), api.as_("hongxing")
    assert (await daping.post("/campaigns", CAMPAIGN)).status_code == 403
    r = await office.post("/campaigns", CAMPAIGN)
    assert r.status_code == 201, r.text
    c = r.json()
    cid = c["id"]
    assert (c["status_label"], c["enterprises"], c["accepted"]) == ("验收进行中", 3, 0)
    assert c["under_order"] == 1
    rows = (await office.get(f"/campaigns/{cid}/enterprises")).json()
    assert [e["unit_id"] for e in rows] == IN_SCOPE
    assert [e["status_label"] for e in rows] == ["待验收", "停产整顿中", "待验收"]
    # The enterprise sees only itself; the township all three (its territory).
    mine = (await hongxing.get(f"/campaigns/{cid}/enterprises")).json()
    assert [e["unit_id"] for e in mine] == ["ent-hongxing"]
    assert (await hongxing.get(f"/campaigns/{cid}")).json()["enterprises"] == 1

    # The lists not yet accepted, by township and by department (linked or by industry).
    pending = (await office.get(f"/campaigns/{cid}/pending")).json()
    assert [(g["unit_name"], len(g["enterprises"])) for g in pending["by_township"]] == [
        ("大坪乡", 2)
    ]
    by_dep = {
        g["unit_name"]: [e["unit_id"] for e in g["enterprises"]] for g in pending["by_department"]
    }
    assert by_dep == {"应急管理局": ["ent-hongxing", "ent-shifeng"], "公安局": ["ent-hongxing"]}

    # The same acceptance round as 停产整顿: the team and the checklist are checked.
    url = f"/campaigns/{cid}/enterprises/ent-hongxing/acceptance"
    failed_item = [CHECKLIST[0] | {"result": "fail"}]
    r = await office.post(url, ACCEPTANCE | {"checklist": failed_item})
    assert r.status_code == 422 and "安全生产责任制" in r.text
    assert (await hongxing.post(url, ACCEPTANCE)).status_code == 403
    r = await office.post(url, ACCEPTANCE | {"checklist": failed_item, "passed": False})
    assert r.status_code == 200 and r.json()["status_label"] == "验收未通过"
    r = await office.post(url, ACCEPTANCE)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert len(r.json()["acceptances"]) == 2
    assert (await office.post(url, ACCEPTANCE)).status_code == 409
    outside = f"/campaigns/{cid}/enterprises/ent-huayu/acceptance"
    assert (await office.post(outside, ACCEPTANCE)).status_code == 404

    # A reminder point: the event carries the lists still open; the campaign cannot end yet.
    r = await office.post(f"/campaigns/{cid}/reminders", {"note": "请于2月20日前完成验收"})
    assert r.status_code == 200 and len(r.json()["reminders"]) == 1
    r = await office.post(f"/campaigns/{cid}/close")
    assert r.status_code == 409 and r.json()["detail"] == "尚有1家企业未通过复工复产验收，不能结束"
    r = await office.post(f"/campaigns/{cid}/enterprises/ent-shifeng/acceptance", ACCEPTANCE)
    assert r.status_code == 200, r.text
    assert (await office.get(f"/campaigns/{cid}/pending")).json()["by_township"] == []
    r = await office.post(f"/campaigns/{cid}/reminders", {})
    assert r.status_code == 409 and "无需催办" in r.json()["detail"]
    r = await office.post(f"/campaigns/{cid}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert (await office.post(f"/campaigns/{cid}/close")).status_code == 409

    events = await campaign_events(app)
    assert [e.event.value for e in events] == [
        "campaign.opened",
        "campaign.acceptance_failed",
        "campaign.accepted",
        "campaign.reminded",
        "campaign.accepted",
        "campaign.closed",
    ]
    reminded = events[3]
    assert reminded.pending_by_township == {"tw-daping": ["ent-shifeng"]}
    assert reminded.pending_by_department == {"dep-yingji": ["ent-shifeng"]}
    assert (reminded.facts.enterprises, reminded.facts.accepted) == (3, 1)
    assert events[2].unit_id == "ent-hongxing" and events[-1].facts.accepted == 2
    # Every change is on the campaign's audit chain, in the same order.
    async with app.state.sessionmaker() as session:
        actions = await session.scalars(
            select(AuditRow.action)
            .where(AuditRow.entity_type == "campaign", AuditRow.entity_id == cid)
            .order_by(AuditRow.seq)
        )
        assert list(actions) == [e.event.value for e in events]


async def test_opening_refuses_an_empty_or_unknown_scope(api: Api) -> None:
    office = api.as_("office")
    r = await office.post("/campaigns", CAMPAIGN | {"township_ids": ["tw-nowhere"]})
    assert r.status_code == 422 and "tw-nowhere" in r.text
    r = await office.post("/campaigns", CAMPAIGN | {"industry_prefixes": ["A01"]})
    assert r.status_code == 422 and "没有企业" in r.text
    r = await office.post("/campaigns", CAMPAIGN | {"industry_prefixes": ["26%"]})
    assert r.status_code == 422
    # No township named: the whole county (every 烟花爆竹 enterprise).
    r = await office.post(
        "/campaigns", CAMPAIGN | {"industry_prefixes": ["C2672"], "township_ids": []}
    )
    assert r.status_code == 201 and r.json()["enterprises"] == 2
