"""A campaign and 停产整顿: an enterprise under an open order is shown as 停产整顿中 with its
文号; the campaign neither decides on it (409 naming the order) nor lists it as 未验收, chases
it or waits for it to end; once the order's acceptance passed while the campaign ran, the
enterprise counts as accepted and is not asked to pass again (one accepted before the campaign
opened is an ordinary enterprise of it). Each row says what the caller may do on it
(`allowed_actions`)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import Api
from tests.hazard_api.lifecycle.test_accident_closure import ACCEPTANCE, APPLICATION
from tests.hazard_api.lifecycle.test_campaign import CAMPAIGN, campaign_events

ORDER = {"unit_id": "ent-shifeng", "order_no": "演应急停〔2027〕5号", "reason": "越界开采"}
DECIDE = {"decide_acceptance": "复工复产验收"}


async def rows(api: Api, user: str, cid: str) -> dict[str, dict[str, object]]:
    listed = (await api.as_(user).get(f"/campaigns/{cid}/enterprises")).json()
    return {e["unit_id"]: e for e in listed}


async def resume(api: Api, sid: str) -> None:
    """The order's own steps: application, the township's review, acceptance, resumption."""
    office = api.as_("office")
    assert (await office.post(f"/suspensions/{sid}/application", APPLICATION)).status_code == 200
    r = await api.as_("daping").post(f"/suspensions/{sid}/review", {"passed": True, "note": "齐"})
    assert r.status_code == 200
    assert (await office.post(f"/suspensions/{sid}/acceptance", ACCEPTANCE)).status_code == 200
    assert (await office.post(f"/suspensions/{sid}/resume")).status_code == 200


async def test_an_enterprise_under_an_order_is_left_to_its_order(
    api: Api, app: FastAPI, clock: TestClock
) -> None:
    office = api.as_("office")
    r = await office.post("/suspensions", ORDER)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    c = (await office.post("/campaigns", CAMPAIGN)).json()
    cid = c["id"]
    # 石峰 under the order above, 金龙 under the demo county's (演应急停〔2026〕3号).
    assert (c["enterprises"], c["accepted"], c["under_order"]) == (3, 0, 2)
    assert c["industry_labels"] == ["C26 化学原料和化学制品制造业", "B10 非金属矿采选业"]

    listed = await rows(api, "office", cid)
    shifeng = listed["ent-shifeng"]
    assert (shifeng["status"], shifeng["status_label"]) == ("pending", "停产整顿中")
    assert (shifeng["suspension_id"], shifeng["suspension_order_no"]) == (sid, ORDER["order_no"])
    assert shifeng["allowed_actions"] == {}
    assert listed["ent-hongxing"]["allowed_actions"] == DECIDE
    assert listed["ent-hongxing"]["suspension_order_no"] is None
    assert listed["ent-hongxing"]["industry_name"] == "焰火、鞭炮产品制造"
    # The township and the enterprise see their rows but decide nothing.
    for user in ("daping", "hongxing"):
        assert [e["allowed_actions"] for e in (await rows(api, user, cid)).values()] != []
        assert {str(e["allowed_actions"]) for e in (await rows(api, user, cid)).values()} == {"{}"}

    # Neither 同意复产 nor 不同意复产: its restart is its order's acceptance.
    url = f"/campaigns/{cid}/enterprises/ent-shifeng/acceptance"
    for passed in (True, False):
        r = await office.post(url, ACCEPTANCE | {"passed": passed})
        assert r.status_code == 409, r.text
        assert r.json()["detail"] == (
            "石峰石灰石矿正在停产停业整顿（演应急停〔2027〕5号），须经该责令的复工复产验收合格后"
            "方可恢复生产，不在本次复工复产验收中验收"
        )
    assert (await rows(api, "office", cid))["ent-shifeng"]["acceptances"] == []

    # Not 未验收, not chased, not holding up the end.
    pending = (await office.get(f"/campaigns/{cid}/pending")).json()
    listed_ids = {e["unit_id"] for g in pending["by_township"] for e in g["enterprises"]}
    assert "ent-shifeng" not in listed_ids and "ent-hongxing" in listed_ids
    assert (await office.post(f"/campaigns/{cid}/reminders", {})).status_code == 200
    reminded = (await campaign_events(app))[-1]
    assert "ent-shifeng" not in reminded.pending_by_township["tw-daping"]
    assert all("ent-shifeng" not in ids for ids in reminded.pending_by_department.values())
    r = await office.post(f"/campaigns/{cid}/enterprises/ent-hongxing/acceptance", ACCEPTANCE)
    assert r.status_code == 200, r.text
    assert r.json()["allowed_actions"] == {}  # accepted: nothing left to decide

    # Its order's acceptance passes while the campaign runs: accepted for this restart
    # already, not asked to pass a second time.
    clock.advance(timedelta(days=2))
    await resume(api, sid)
    shifeng = (await rows(api, "office", cid))["ent-shifeng"]
    assert (shifeng["status_label"], shifeng["allowed_actions"]) == ("停产整顿复工验收合格", {})
    assert (shifeng["accepted_by_order"], shifeng["suspension_order_no"]) == (
        True,
        "演应急停〔2027〕5号",
    )
    c = (await office.get(f"/campaigns/{cid}")).json()
    assert (c["accepted"], c["under_order"]) == (2, 1)  # 红星, 石峰; 金龙 still ordered
    accepted = (await office.get(f"/campaigns/{cid}/enterprises?status=accepted")).json()
    assert {e["unit_id"] for e in accepted} == {"ent-hongxing", "ent-shifeng"}
    pending = (await office.get(f"/campaigns/{cid}/enterprises?status=pending")).json()
    assert [e["unit_id"] for e in pending] == ["ent-jinlong"]
    r = await office.post(url, ACCEPTANCE)
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == (
        "石峰石灰石矿已经停产停业整顿（演应急停〔2027〕5号）的复工复产验收合格并恢复生产，"
        "无需在本次复工复产验收中重复验收"
    )
    r = await office.post(f"/campaigns/{cid}/reminders", {})
    assert r.status_code == 409  # nobody left for the campaign to chase
    assert (await office.post(f"/campaigns/{cid}/close")).status_code == 200
    assert (await campaign_events(app))[-1].facts.accepted == 2


async def test_an_order_accepted_before_the_campaign_does_not_count_for_it(
    api: Api, clock: TestClock
) -> None:
    """The holiday came after that acceptance: the enterprise passes the campaign's like any."""
    office = api.as_("office")
    sid = (await office.post("/suspensions", ORDER)).json()["id"]
    await resume(api, sid)
    clock.advance(timedelta(days=1))
    cid = (await office.post("/campaigns", CAMPAIGN | {"industry_prefixes": ["B10"]})).json()["id"]
    shifeng = (await rows(api, "office", cid))["ent-shifeng"]
    assert (shifeng["status_label"], shifeng["allowed_actions"]) == ("待验收", DECIDE)
    assert shifeng["suspension_order_no"] is None and not shifeng["accepted_by_order"]
    r = await office.post(f"/campaigns/{cid}/close")
    assert r.status_code == 409 and r.json()["detail"] == "尚有1家企业未通过复工复产验收，不能结束"
    url = f"/campaigns/{cid}/enterprises/ent-shifeng/acceptance"
    assert (await office.post(url, ACCEPTANCE)).status_code == 200
    assert (await office.post(f"/campaigns/{cid}/close")).status_code == 200


async def test_an_open_order_does_not_hold_up_the_end(api: Api) -> None:
    office = api.as_("office")
    c = (await office.post("/campaigns", CAMPAIGN | {"industry_prefixes": ["B10"]})).json()
    assert c["enterprises"] == 1
    sid = (await office.post("/suspensions", ORDER)).json()["id"]  # ordered during the campaign
    r = await office.post(f"/campaigns/{c['id']}/reminders", {})
    assert r.status_code == 409
    assert (await office.post(f"/campaigns/{c['id']}/close")).status_code == 200
    assert (await office.get(f"/suspensions/{sid}")).json()["status"] == "suspended"
