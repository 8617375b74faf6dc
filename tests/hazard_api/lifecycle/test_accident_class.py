"""Accident class by the 493 thresholds: every boundary on each criterion, and mixed criteria
(the worst decides), through the API and in the pure table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.hazard_api.accidents.classes import Casualties, classify
from shared.clock import TestClock
from shared.contract import AccidentClass
from tests.hazard_api.conftest import Login
from tests.hazard_api.lifecycle.conftest import Api, _As

G, L, M, X = (
    AccidentClass.GENERAL,
    AccidentClass.LARGER,
    AccidentClass.MAJOR,
    AccidentClass.ESPECIALLY_MAJOR,
)
# (deaths, serious injuries, direct loss in yuan) → class: each threshold, one below it.
BOUNDARIES: list[tuple[tuple[int, int, int], AccidentClass]] = [
    ((2, 0, 0), G),
    ((3, 0, 0), L),
    ((9, 0, 0), L),
    ((10, 0, 0), M),
    ((29, 0, 0), M),
    ((30, 0, 0), X),
    ((0, 9, 0), G),
    ((0, 10, 0), L),
    ((0, 49, 0), L),
    ((0, 50, 0), M),
    ((0, 99, 0), M),
    ((0, 100, 0), X),
    ((0, 0, 9_999_999), G),
    ((0, 0, 10_000_000), L),
    ((0, 0, 49_999_999), L),
    ((0, 0, 50_000_000), M),
    ((0, 0, 99_999_999), M),
    ((0, 0, 100_000_000), X),
    # Mixed: the worst criterion decides.
    ((2, 9, 9_999_999), G),
    ((2, 50, 0), M),
    ((1, 9, 100_000_000), X),
    ((12, 10, 10_000_000), M),
]


@pytest.mark.parametrize(("figures", "expected"), BOUNDARIES)
def test_the_table(figures: tuple[int, int, int], expected: AccidentClass) -> None:
    deaths, serious, loss = figures
    assert classify(Casualties(deaths, 0, serious, loss)) == expected


def test_missing_count_with_the_dead_unless_configured() -> None:
    assert classify(Casualties(deaths=2, missing=1)) == L
    assert classify(Casualties(deaths=2, missing=1), missing_count_as_deaths=False) == G


def quick_report(clock: TestClock, **figures: Any) -> dict[str, Any]:
    return {
        "unit_id": "ent-hongxing",
        "channel": "enterprise",
        "occurred_at": (clock.now() - timedelta(minutes=20)).isoformat(),
        "place": "大坪乡红星烟花爆竹有限公司二号工房",
        "accident_type": "explosion",
        "account": "二号工房装药时发生爆炸，引发火灾",
        "measures_taken": "已疏散人员，消防救援到场",
        "reporter_name": "张红星",
        "reporter_phone": "13800001001",
        "deaths": 0,
        "missing": 0,
        "serious_injuries": 0,
        "direct_loss_yuan": 0,
    } | figures


async def test_every_boundary_through_the_api(api: Api, clock: TestClock) -> None:
    office = api.as_("office")
    for (deaths, serious, loss), expected in BOUNDARIES:
        r = await office.post(
            "/accidents",
            quick_report(clock, deaths=deaths, serious_injuries=serious, direct_loss_yuan=loss),
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["accident_class"] == expected.value, (deaths, serious, loss)
    # Missing persons count with the dead: 2 dead and 1 missing is 较大, investigated by the city.
    r = await office.post("/accidents", quick_report(clock, deaths=2, missing=1))
    assert (r.json()["accident_class"], r.json()["class_label"]) == ("larger", "较大事故")
    assert r.json()["investigation_level_label"] == "设区的市级人民政府"


async def test_a_class_change_within_the_window_moves_the_investigation(
    api: Api, clock: TestClock, login: Login
) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    r = await ent.post("/accidents", quick_report(clock, deaths=1))
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert r.json()["investigation_level"] == "county"
    follow = {
        "kind": "follow_up",
        "account": "又有两名重伤人员经抢救无效死亡",
        "reporter_name": "张红星",
        "reporter_phone": "13800001001",
        "deaths": 3,
    }
    clock.advance(timedelta(days=29))
    ent, office = _As(api.client, await login("hongxing")), _As(api.client, await login("office"))
    r = await ent.post(f"/accidents/{aid}/reports", follow)
    assert r.status_code == 201, r.text
    assert r.json()["within_window"] is True
    detail = (await office.get(f"/accidents/{aid}")).json()
    assert detail["accident"]["accident_class"] == "larger"
    assert detail["accident"]["investigation_level"] == "city"
    assert [x["kind"] for x in detail["reports"]] == ["first", "follow_up"]
    # After the 30 days a further death is recorded; the statutory class stays.
    clock.advance(timedelta(days=2))
    ent, office = _As(api.client, await login("hongxing")), _As(api.client, await login("office"))
    r = await ent.post(
        f"/accidents/{aid}/reports", follow | {"kind": "supplementary", "deaths": 10}
    )
    assert r.status_code == 201 and r.json()["within_window"] is False
    assert r.json()["class_after"] == "major"
    a = (await office.get(f"/accidents/{aid}")).json()["accident"]
    assert (a["deaths"], a["accident_class"], a["investigation_level"]) == (10, "larger", "city")


async def test_road_traffic_has_seven_days(api: Api, clock: TestClock) -> None:
    office = api.as_("office")
    r = await office.post("/accidents", quick_report(clock, accident_type="road_traffic", deaths=2))
    aid = r.json()["id"]
    clock.advance(timedelta(days=8))
    follow = {
        "kind": "supplementary",
        "account": "一名伤员死亡",
        "reporter_name": "王",
        "reporter_phone": "13800001001",
        "deaths": 3,
    }
    r = await office.post(f"/accidents/{aid}/reports", follow)
    assert r.json()["within_window"] is False
    a = (await office.get(f"/accidents/{aid}")).json()["accident"]
    assert a["accident_class"] == "general"
