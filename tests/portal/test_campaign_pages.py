"""A campaign's pages over HTTP: industries by their GB/T 4754 names, 复工复产验收 offered only
where hazard_api's `allowed_actions` says so — not to a township, not for an enterprise under an
open 停产整顿 order (shown as 停产整顿中 with its 文号), whose acceptance page says why and
refuses a forged decision in Chinese."""

from __future__ import annotations

from tests.hazard_api.lifecycle.test_campaign import CAMPAIGN
from tests.hazard_api.lifecycle.test_campaign_orders import ORDER
from tests.portal.conftest import Api, SignIn
from tests.portal.test_accident_pages import checklist_form

REFUSAL = "石峰石灰石矿正在停产停业整顿（演应急停〔2027〕5号）"


async def test_a_campaign_offers_acceptance_only_where_allowed(signed_in: SignIn, api: Api) -> None:
    o = api.as_("office")
    assert (await o.post("/suspensions", ORDER)).status_code == 201
    cid = (await o.post("/campaigns", CAMPAIGN)).json()["id"]
    office, csrf = await signed_in("office")
    page = (await office.get(f"/campaigns/{cid}")).text
    assert "C26 化学原料和化学制品制造业、B10 非金属矿采选业" in page
    assert "C2672 焰火、鞭炮产品制造" in page and "B1011 石灰石、石膏开采" in page
    assert "停产整顿中（演应急停〔2027〕5号）" in page and 'id="under-order">2<' in page
    link = f"/campaigns/{cid}/enterprises/%s/acceptance"
    assert link % "ent-hongxing" in page and link % "ent-shifeng" not in page
    # The township sees every row of its territory but decides none.
    daping, _ = await signed_in("daping")
    town_page = (await daping.get(f"/campaigns/{cid}")).text
    assert "石峰石灰石矿" in town_page and "/acceptance" not in town_page
    town_form = (await daping.get(link % "ent-hongxing")).text
    assert 'id="checklist"' not in town_form and 'id="no-action"' in town_form

    # Under its order: no checklist, the reason instead; a forged post gets the 409 in words.
    form = (await office.get(link % "ent-shifeng")).text
    assert 'id="checklist"' not in form and "停产整顿中" in form
    assert "该企业正在停产停业整顿（演应急停〔2027〕5号）" in form
    r = await office.post(link % "ent-shifeng", data=checklist_form(csrf, passed=True))
    assert r.status_code == 409 and REFUSAL in r.text
    rows = (await o.get(f"/campaigns/{cid}/enterprises")).json()
    assert [e["acceptances"] for e in rows if e["unit_id"] == "ent-shifeng"] == [[]]
    # An enterprise without an order: the checklist, and the decision recorded.
    assert 'id="checklist"' in (await office.get(link % "ent-hongxing")).text
    r = await office.post(link % "ent-hongxing", data=checklist_form(csrf, passed=True))
    assert r.status_code == 303
    done = (await office.get(link % "ent-hongxing")).text
    assert 'id="checklist"' not in done and "同意复产" in done
