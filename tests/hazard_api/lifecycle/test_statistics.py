"""16号令 statistics as they stood at the end of the period, rolled up, as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from shared.clock import TestClock
from tests.hazard_api.lifecycle.conftest import HAZARD, Api

Q1 = {"year": 2026, "quarter": 1}


@pytest.fixture
def clock() -> TestClock:
    """Late in the first quarter, so that tokens still hold a few days into the second."""
    return TestClock(datetime(2026, 3, 27, 2, 0, tzinfo=UTC))


async def _rectify_and_accept(api: Api, hid: str) -> None:
    hongxing, office = api.as_("hongxing"), api.as_("office")
    photo = (await hongxing.upload(hid)).json()
    reported = await hongxing.post(
        f"/hazards/{hid}/rectification-report",
        {"summary": "已整改", "funds_spent": 3000, "attachment_ids": [photo["id"]]},
    )
    assert reported.status_code == 200, reported.text
    accepted = await office.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "合格"})
    assert accepted.status_code == 200, accepted.text


async def test_a_past_quarter_does_not_change_when_its_hazard_is_closed_today(
    api: Api, clock: TestClock
) -> None:
    hongxing, office = api.as_("hongxing"), api.as_("office")
    late = (await hongxing.post("/hazards", HAZARD)).json()["id"]
    await hongxing.post(f"/hazards/{late}/classify", {"level": "general", "deadline_days": 1})
    await hongxing.post(f"/hazards/{late}/start-rectification", {})
    # Into the second quarter: the first quarter ended with the hazard overdue, unrectified.
    clock.set(datetime(2026, 4, 3, 2, 0, tzinfo=UTC))
    response = await office.get("/statistics/hazards", params=Q1)
    assert response.status_code == 200, response.text
    before = response.json()
    assert before["as_of"] == "2026-03-31T16:00:00Z"
    total = before["total"]
    assert (total["found"], total["general"], total["rectified"], total["overdue"]) == (1, 1, 0, 1)
    # Rectified and accepted today, and a hazard found in March reported only now.
    await _rectify_and_accept(api, late)
    in_march = HAZARD | {"found_at": "2026-03-20T02:00:00Z"}
    assert (await hongxing.post("/hazards", in_march)).status_code == 201
    after = (await office.get("/statistics/hazards", params=Q1)).json()
    assert after == before
    # The year, still running, stands as of now: rectified, funds spent, the late report counted.
    year = (await office.get("/statistics/hazards", params={"year": 2026})).json()["total"]
    assert (year["found"], year["rectified"], year["overdue"], year["funds_spent"]) == (
        2,
        1,
        0,
        3000,
    )


async def test_rollups_by_township_department_industry_and_level(api: Api) -> None:
    for user in ("hongxing", "huayu", "jiancheng"):
        assert (await api.as_(user).post("/hazards", HAZARD)).status_code == 201
    office = api.as_("office")

    async def rows(group_by: str) -> dict[str | None, int]:
        got = await office.get("/statistics/hazards", params=Q1 | {"group_by": group_by})
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["group_by"] == group_by and body["total"]["found"] == 3
        return {u["unit_name"]: u["found"] for u in body["units"]}

    by_industry = await rows("industry")
    assert by_industry["房屋建筑业"] == 1 and sum(by_industry.values()) == 3
    by_township = await rows("township")
    assert sum(by_township.values()) == 3 and len(by_township) == 3
    # 红星 is supervised by two departments: it counts under each of them.
    by_department = await rows("department")
    assert by_department["应急管理局"] >= 2 and sum(by_department.values()) > 3
    assert await rows("level") == {"未指定": 3}
    bad = await office.get("/statistics/hazards", params=Q1 | {"group_by": "village"})
    assert bad.status_code == 422


async def test_the_table_as_csv_and_xlsx(api: Api) -> None:
    assert (await api.as_("hongxing").post("/hazards", HAZARD)).status_code == 201
    office = api.as_("office")
    got = await office.get("/statistics/hazards", params=Q1 | {"format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert lines[0][0].startswith("2026年第1季度事故隐患排查治理情况统计表")
    assert lines[1][:3] == ["单位", "排查隐患数", "一般隐患"]
    assert lines[-1][0] == "合计" and lines[-1][1] == "1"
    xlsx = await office.get("/statistics/hazards", params={"year": 2026, "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == "单位" and values[-1][:2] == ["合计", 1]
    assert "2026年度" in str(values[0][0])
