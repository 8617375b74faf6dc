"""A unit chosen by its name, not the directory's id: the suggestions as the officer types
(within the caller's scope), and what was typed resolved — a suggestion, an id, a full name or
a part only one unit has; anything else refused in words, nothing saved."""

from __future__ import annotations

from shared.clock import TestClock
from tests.portal.conftest import Api, SignIn
from tests.portal.test_accident_pages import FORM, local


async def test_the_suggestions_are_the_callers_units_matching_what_was_typed(
    signed_in: SignIn,
) -> None:
    town, _ = await signed_in("daping")
    got = await town.get("/units/options", params={"kind": "enterprise", "unit": "石"})
    assert got.status_code == 200
    assert '<option value="石峰石灰石矿（ent-shifeng）">' in got.text
    assert "华宇" not in (await town.get("/units/options", params={"unit": "化工"})).text
    office, _ = await signed_in("office")
    everyone = await office.get("/units/options", params={"kind": "enterprise", "unit": "化工"})
    assert "华宇化工有限公司（ent-huayu）" in everyone.text
    assert (await office.get("/units/options", params={"unit": ""})).text.strip() == ""


async def test_an_accident_is_reported_on_the_unit_named(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    town, csrf = await signed_in("daping")
    base = FORM | {"channel": "phone", "occurred_at": local(clock, 30), "csrf_token": csrf}
    for typed, unit_id in (
        ("红星", "ent-hongxing"),
        ("石峰石灰石矿（ent-shifeng）", "ent-shifeng"),
    ):
        r = await town.post("/accidents/new", data=base | {"unit": typed})
        assert r.status_code == 303, r.text
        aid = r.headers["location"].split("/accidents/")[1].split("?")[0]
        got = (await api.as_("office").get(f"/accidents/{aid}")).json()["accident"]
        assert got["unit_id"] == unit_id
    before = len((await api.as_("office").get("/accidents")).json())
    outside = await town.post("/accidents/new", data=base | {"unit": "华宇化工有限公司"})
    assert outside.status_code == 422
    assert "未找到名称含「华宇化工有限公司」的单位（仅限本单位管辖范围）" in outside.text
    office, office_csrf = await signed_in("office")
    several = await office.post(
        "/accidents/new", data=base | {"unit": "有限公司", "csrf_token": office_csrf}
    )
    assert several.status_code == 422 and "不止一个" in several.text
    assert "红星烟花爆竹有限公司（ent-hongxing）" in several.text
    assert len((await api.as_("office").get("/accidents")).json()) == before


async def test_a_hazard_is_reported_on_the_unit_named(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    town, csrf = await signed_in("daping")
    data = {
        "unit": "惠民超市",
        "source": "inspection",
        "location": "超市仓库",
        "description": "仓库消防通道堆放货物",
        "found_at": local(clock, 30),
        "csrf_token": csrf,
    }
    r = await town.post("/hazards/new", data=data)
    assert r.status_code == 303, r.text
    hid = r.headers["location"].split("/hazards/")[1].split("?")[0]
    got = (await api.as_("office").get(f"/hazards/{hid}")).json()["hazard"]
    assert got["unit_id"] == "ent-chaoshi"
