"""GET /suspensions and /suspensions/{id} say what the caller may do now (`allowed_actions`,
as an accident's detail does): a page offers exactly what the authority table and the order's
state allow — 恢复生产 only once the acceptance passed."""

from __future__ import annotations

from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import Api
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.hazard_api.lifecycle.test_accident_closure import ACCEPTANCE, APPLICATION

USERS = ("office", "daping", "hongxing")


async def offered(api: Api, sid: str) -> dict[str, list[str]]:
    """Per user, the actions the detail offers; the list says the same of the order."""
    said: dict[str, list[str]] = {}
    for user in USERS:
        detail = (await api.as_(user).get(f"/suspensions/{sid}")).json()
        listed = [s for s in (await api.as_(user).get("/suspensions")).json() if s["id"] == sid]
        assert [s["allowed_actions"] for s in listed] == [detail["allowed_actions"]], user
        said[user] = sorted(detail["allowed_actions"])
    return said


async def test_each_state_offers_what_the_table_allows(api: Api, clock: TestClock) -> None:
    office, ent, town = api.as_("office"), api.as_("hongxing"), api.as_("daping")
    aid = (await ent.post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    order = {"unit_id": "ent-hongxing", "order_no": "演应急停〔2026〕1号", "reason": "事故"}
    r = await office.post("/suspensions", order | {"accident_id": aid})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    # 停产整顿中: the application (the enterprise, its township or the county office); no
    # acceptance before the township's review, no 恢复生产 before a passed acceptance.
    assert await offered(api, sid) == {
        "office": ["apply"],
        "daping": ["apply"],
        "hongxing": ["apply"],
    }
    detail = (await office.get(f"/suspensions/{sid}")).json()
    assert detail["allowed_actions"] == {"apply": "申请复工复产"}

    await ent.post(f"/suspensions/{sid}/application", APPLICATION)
    assert await offered(api, sid) == {"office": ["review"], "daping": ["review"], "hongxing": []}
    await town.post(f"/suspensions/{sid}/review", {"passed": True, "note": "材料齐全"})
    assert await offered(api, sid) == {
        "office": ["decide_acceptance"],
        "daping": [],
        "hongxing": [],
    }
    r = await office.post(f"/suspensions/{sid}/acceptance", ACCEPTANCE)
    assert r.status_code == 200, r.text
    assert r.json()["allowed_actions"] == {"resume": "恢复生产"}  # the answer of a change too
    assert await offered(api, sid) == {"office": ["resume"], "daping": [], "hongxing": []}
    assert (await office.post(f"/suspensions/{sid}/resume")).status_code == 200
    assert await offered(api, sid) == {"office": [], "daping": [], "hongxing": []}
