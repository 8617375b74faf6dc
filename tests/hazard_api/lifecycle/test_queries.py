"""Lists: filters, sorting, pagination, always within the caller's scope; 16号令 statistics."""

from __future__ import annotations

from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api


async def _county(api: Api) -> dict[str, str]:
    """A general hazard at 红星 (大坪乡), a major listed one at 华宇, one at 建成 (码头铺镇)."""
    hongxing, huayu, jiancheng, office = (
        api.as_("hongxing"), api.as_("huayu"), api.as_("jiancheng"), api.as_("office"),
    )  # fmt: skip
    g = (await hongxing.post("/hazards", HAZARD | {"found_at": "2026-03-01T02:00:00Z"})).json()[
        "id"
    ]
    await hongxing.post(f"/hazards/{g}/classify", {"level": "general", "deadline_days": 1})
    await hongxing.post(f"/hazards/{g}/start-rectification", {})
    m = (await huayu.post("/hazards", HAZARD | {"found_at": "2026-03-02T02:00:00Z"})).json()["id"]
    await office.post(
        f"/hazards/{m}/classify", {"level": "major", "grade": 3, "criterion_id": "HG-04"}
    )
    await huayu.put(f"/hazards/{m}/plan", PLAN)
    await office.post(f"/hazards/{m}/listing", {"notice_no": "演安委〔2026〕2号"})
    j = (await jiancheng.post("/hazards", HAZARD | {"found_at": "2026-03-03T02:00:00Z"})).json()[
        "id"
    ]
    return {"general": g, "major": m, "jiancheng": j}


async def _ids(api: Api, user: str, **params: object) -> list[str]:
    response = await api.as_(user).get("/hazards", params=params)
    assert response.status_code == 200, response.text
    return [h["id"] for h in response.json()["items"]]


async def test_filters_sorting_pagination_and_scope(api: Api, clock: TestClock) -> None:
    ids = await _county(api)
    g, m, j = ids["general"], ids["major"], ids["jiancheng"]
    assert await _ids(api, "office") == [j, m, g]  # newest found first by default
    assert await _ids(api, "office", sort="found_at") == [g, m, j]
    assert await _ids(api, "office", level="major") == [m]
    assert await _ids(api, "office", status="reported") == [j]
    assert await _ids(api, "office", grade=3) == [m]
    assert await _ids(api, "office", listed="true") == [m]
    assert await _ids(api, "office", listing_level="county") == [m]
    assert await _ids(api, "office", township_id="tw-daping") == [g]
    assert await _ids(api, "office", department_id="dep-zhujian") == [j]
    assert await _ids(api, "office", industry_code="C26") == [m, g]  # 化工 C2614, 烟花 C2672
    assert await _ids(api, "office", deadline_to="2026-03-10T00:00:00Z") == [g]
    assert await _ids(api, "office", sort="deadline_at") == [g, m, j]  # no deadline last
    page = (await api.as_("office").get("/hazards", params={"page": 2, "page_size": 2})).json()
    assert page["total"] == 3 and [h["id"] for h in page["items"]] == [g]
    # Overdue: the general hazard's one-working-day deadline passes (Mon 9 March, end of day).
    assert await _ids(api, "office", overdue="true") == []
    clock.advance(days=3, hours=16)
    assert await _ids(api, "office", overdue="true") == [g]
    # Scope: each role sees only its part, whatever the filters say.
    assert await _ids(api, "daping") == [g]
    assert await _ids(api, "zhujian") == [j]
    assert await _ids(api, "huayu", level="general") == []
    assert (await api.as_("office").get("/hazards", params={"page_size": 1000})).status_code == 422


async def test_statistics_per_unit_and_quarter(api: Api) -> None:
    ids = await _county(api)
    office = api.as_("office")
    hongxing = api.as_("hongxing")
    photo = (await hongxing.upload(ids["general"])).json()
    await hongxing.post(
        f"/hazards/{ids['general']}/rectification-report",
        {"summary": "已整改", "funds_spent": 5000, "attachment_ids": [photo["id"]]},
    )
    await office.post(f"/hazards/{ids['general']}/acceptance", {"passed": True, "opinion": "合格"})
    stats = (await office.get("/statistics/hazards", params={"year": 2026, "quarter": 1})).json()
    by_unit = {u["unit_id"]: u for u in stats["units"]}
    assert set(by_unit) == {"ent-hongxing", "ent-huayu", "ent-jiancheng"}
    assert by_unit["ent-hongxing"] | {} == by_unit["ent-hongxing"]
    assert (by_unit["ent-hongxing"]["general"], by_unit["ent-hongxing"]["rectified"]) == (1, 1)
    assert by_unit["ent-hongxing"]["funds_spent"] == 5000
    assert by_unit["ent-hongxing"]["rectification_rate"] == 1.0
    assert (by_unit["ent-huayu"]["major"], by_unit["ent-huayu"]["listed"]) == (1, 1)
    total = stats["total"]
    assert (total["found"], total["general"], total["major"], total["rectified"]) == (3, 1, 1, 1)
    assert total["rectification_rate"] == 0.3333
    # Another quarter is empty; a township sees only its own units.
    q2 = (await office.get("/statistics/hazards", params={"year": 2026, "quarter": 2})).json()
    assert q2["total"]["found"] == 0
    mine = (await api.as_("daping").get("/statistics/hazards", params={"year": 2026})).json()
    assert [u["unit_id"] for u in mine["units"]] == ["ent-hongxing"]
    assert (
        await office.get("/statistics/hazards", params={"year": 2026, "quarter": 5})
    ).status_code == 422


async def test_criteria_catalogue_is_served_for_forms(api: Api) -> None:
    me = api.as_("hongxing")
    industries = (await me.get("/criteria/industries")).json()
    names = {i["industry"]: i for i in industries}
    assert len(names) >= 9 and names["industry_trade"]["document"]["number"] == "应急管理部令第10号"
    assert all(i["count"] >= 5 for i in industries)
    fireworks = (await me.get("/criteria", params={"industry_code": "C2672"})).json()
    docs = {c["document_number"] for c in fireworks}
    assert "安监总管三〔2017〕121号" in docs and "GB 35181-2025" in docs  # 消防 applies everywhere
    assert "矿安〔2022〕88号" not in docs
    one = (await me.get("/criteria/JZ-5-3")).json()
    assert one["industry"] == "construction" and "第三方监测" in one["text"]
    assert (await me.get("/criteria/NOPE-1")).status_code == 404
    assert (await api.client.get("/criteria")).status_code == 401


async def test_a_hazard_keeps_the_catalogue_version_it_was_classified_under(api: Api) -> None:
    huayu, office = api.as_("huayu"), api.as_("office")
    hid = (await huayu.post("/hazards", HAZARD)).json()["id"]
    classified = await office.post(
        f"/hazards/{hid}/classify", {"level": "major", "grade": 2, "criterion_id": "HG-12"}
    )
    assert classified.status_code == 200, classified.text
    assert classified.json()["criterion_version"] == 2
    # The criterion read in the version the hazard names: item 十二, gas detection.
    current = (await huayu.get("/criteria/HG-12", params={"version": 2})).json()
    assert (current["item"], current["verified"]) == ("十二", True)
    assert "检测报警装置" in current["text"]
    # The first catalogue numbered that item 第十五条 under HG-15; a hazard classified then
    # still reads it so, while HG-15 in force is the safety-valve item.
    old = (await huayu.get("/criteria/HG-15", params={"version": 1})).json()
    assert old["item"] == "第十五条" and "检测报警装置" in old["text"]
    assert "安全阀" in (await huayu.get("/criteria/HG-15")).json()["text"]
    missing = await huayu.get("/criteria", params={"version": 9})
    assert missing.status_code == 404 and "第9版" in missing.json()["detail"]
    # A general hazard has no criterion and no version.
    other = (await huayu.post("/hazards", HAZARD)).json()["id"]
    general = await office.post(f"/hazards/{other}/classify", {"level": "general"})
    assert general.json()["criterion_version"] is None
