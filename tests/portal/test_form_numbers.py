"""A number the API cannot take is refused on the page, naming the field and what it expects,
and nothing is saved: no more 12万 saved as 0, a 整改期限 of -3 turned into the default, or a
纬度 of abc dropped."""

from __future__ import annotations

import pytest

from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import PNG
from tests.hazard_api.lifecycle.documents import rectifying_hazard
from tests.portal.conftest import HAZARD, PLAN, Api, SignIn
from tests.portal.test_accident_pages import FORM, local

FUNDS = "须为0至2147483647之间的整数（元）"
DAYS = "须为1至365之间的整数（日）"


async def major_hazard(api: Api) -> str:
    hid: str = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    classified = await api.as_("office").post(
        f"/hazards/{hid}/classify", {"level": "major", "grade": 3, "criterion_id": "YH-05"}
    )
    assert classified.status_code == 200, classified.text
    return hid


@pytest.mark.parametrize("budget", ["12万", "15000.50", "-1", "99999999999"])
async def test_a_plan_budget_that_is_not_whole_yuan_is_refused(
    signed_in: SignIn, api: Api, budget: str
) -> None:
    hid = await major_hazard(api)
    ent, csrf = await signed_in("hongxing")
    form = {k: str(v) for k, v in PLAN.items()} | {"tab": "plan", "csrf_token": csrf}
    refused = await ent.post(
        f"/hazards/{hid}/actions/submit_plan", data=form | {"funds_budget": budget}
    )
    assert refused.status_code == 422, refused.text
    assert f"治理资金预算{FUNDS}" in refused.text
    assert (await api.as_("hongxing").get(f"/hazards/{hid}")).json()["plan"] is None
    saved = await ent.post(f"/hazards/{hid}/actions/submit_plan", data=form)
    assert saved.status_code == 303, saved.text
    plan = (await api.as_("hongxing").get(f"/hazards/{hid}")).json()["plan"]
    assert plan["funds_budget"] == PLAN["funds_budget"]


async def test_rectification_funds_with_cents_are_refused_before_the_photo_goes_up(
    signed_in: SignIn, api: Api
) -> None:
    hid = (await rectifying_hazard(api))["id"]
    ent, csrf = await signed_in("jiancheng")
    refused = await ent.post(
        f"/hazards/{hid}/actions/report_rectification",
        data={"summary": "已补齐连墙件", "funds_spent": "15000.50", "csrf_token": csrf},
        files={"photos": ("整改后.png", PNG, "image/png")},
    )
    assert refused.status_code == 422, refused.text
    assert f"整改资金{FUNDS}" in refused.text
    d = (await api.as_("jiancheng").get(f"/hazards/{hid}")).json()
    assert d["hazard"]["status"] == "rectifying" and d["attachments"] == []


@pytest.mark.parametrize("days", ["-3", "1.5", "0", "9999", "三十"])
async def test_days_outside_what_the_api_takes_are_refused_not_defaulted(
    signed_in: SignIn, api: Api, days: str
) -> None:
    hid = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    office, csrf = await signed_in("office")
    refused = await office.post(
        f"/hazards/{hid}/actions/classify_general",
        data={"deadline_days": days, "csrf_token": csrf},
    )
    assert refused.status_code == 422, refused.text
    assert f"整改期限{DAYS}" in refused.text
    assert (await api.as_("office").get(f"/hazards/{hid}")).json()["hazard"]["level"] is None

    rectifying = (await rectifying_hazard(api))["id"]
    ent, ent_csrf = await signed_in("jiancheng")
    asked = await ent.post(
        f"/hazards/{rectifying}/actions/request_extension",
        data={"reason": "雨季施工受限", "days": days, "csrf_token": ent_csrf},
    )
    assert asked.status_code == 422, asked.text
    assert f"延期天数{DAYS}" in asked.text
    assert (await api.as_("jiancheng").get(f"/hazards/{rectifying}")).json()["extensions"] == []


@pytest.mark.parametrize(
    ("gps", "message"),
    [
        ({"latitude": "abc", "longitude": "111.9"}, "纬度须为-90至90之间的数字"),
        ({"latitude": "27.5", "longitude": "nan"}, "经度须为-180至180之间的数字"),
        ({"latitude": "27.5", "longitude": ""}, "纬度和经度须同时填写或同时不填"),
    ],
)
async def test_a_position_that_is_not_one_is_refused_not_dropped(
    signed_in: SignIn, api: Api, clock: TestClock, gps: dict[str, str], message: str
) -> None:
    ent, csrf = await signed_in("hongxing")
    form = {k: HAZARD[k] for k in ("location", "description", "source")}
    form |= {"found_at": local(clock, 30), "csrf_token": csrf} | gps
    refused = await ent.post("/hazards/new", data=form)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert (await api.as_("hongxing").get("/hazards")).json()["items"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("deaths", "一", "死亡人数须为0至100000之间的整数（人）"),
        ("serious_injuries", "2.5", "重伤人数须为0至100000之间的整数（人）"),
        ("direct_loss_yuan", "30万", "直接经济损失须为0至1000000000000之间的整数（元）"),
    ],
)
async def test_a_casualty_figure_that_is_not_a_count_is_refused_not_left_blank(
    signed_in: SignIn, api: Api, clock: TestClock, field: str, value: str, message: str
) -> None:
    ent, csrf = await signed_in("hongxing")
    form = FORM | {"occurred_at": local(clock, 20), "csrf_token": csrf, field: value}
    refused = await ent.post("/accidents/new", data=form)
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert (await api.as_("hongxing").get("/accidents")).json() == []
