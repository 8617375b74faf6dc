"""Accident statistics as CSV and XLSX: the same figures as the JSON, by month, class, industry
and township (named), within the caller's scope."""

from __future__ import annotations

import csv
import io

from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import update

from services.hazard_api.directory.models import Unit
from shared.clock import TestClock
from shared.db import transaction
from tests.hazard_api.lifecycle.conftest import Api
from tests.hazard_api.lifecycle.test_accident_class import quick_report


async def test_csv_and_xlsx_carry_the_groups_and_the_total(api: Api, clock: TestClock) -> None:
    office = api.as_("office")
    for unit, deaths, loss in (("ent-hongxing", 3, 2_000_000), ("ent-jiancheng", 0, 100_000)):
        report = quick_report(clock, unit_id=unit, deaths=deaths, direct_loss_yuan=loss)
        assert (await office.post("/accidents", report)).status_code == 201
    r = await office.get("/accidents/statistics", params={"year": 2026, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["2026年生产安全事故统计表"]
    assert rows[1][:3] == ["分组", "项目", "事故起数"]
    by = {(row[0], row[1]): row[2:] for row in rows[2:]}
    assert by[("按月", "3月")][:2] == ["2", "3"]
    assert by[("按等级", "较大事故")][0] == "1"
    assert by[("按行业", "C2672")][1] == "3"
    assert by[("按乡镇（街道）", "大坪乡")][0] == "1"
    assert by[("按乡镇（街道）", "码头铺镇")][5] == "100000"
    assert by[("合计", "全年")] == ["2", "3", "0", "0", "0", "2100000"]

    r = await office.get("/accidents/statistics", params={"year": 2026, "format": "xlsx"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[-1] == ["合计", "全年", 2, 3, 0, 0, 0, 2_100_000]
    assert ["按乡镇（街道）", "大坪乡", 1, 3, 0, 0, 0, 2_000_000] in values

    own = await api.as_("hongxing").get(
        "/accidents/statistics", params={"year": 2026, "format": "csv"}
    )
    assert "码头铺镇" not in own.content.decode("utf-8-sig")
    bad = await office.get("/accidents/statistics", params={"year": 2026, "format": "pdf"})
    assert bad.status_code == 422


async def test_a_name_that_reads_as_a_formula_stays_text(
    api: Api, app: FastAPI, clock: TestClock
) -> None:
    """A township named like a formula: quoted in the CSV, a text cell in the XLSX (openpyxl
    would otherwise store it as a formula); the figures stay numbers."""
    name = '=HYPERLINK("http://example.com","大坪乡")'
    async with transaction(app.state.sessionmaker) as session:
        await session.execute(update(Unit).where(Unit.id == "tw-daping").values(name=name))
    office = api.as_("office")
    assert (await office.post("/accidents", quick_report(clock, deaths=1))).status_code == 201
    params = {"year": 2026, "format": "csv"}
    r = await office.get("/accidents/statistics", params=params)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert ["按乡镇（街道）", "'" + name, "1", "1", "0", "0", "0", "0"] in rows
    r = await office.get("/accidents/statistics", params=params | {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    row = next(r for r in sheet.iter_rows() if r[1].value == name)
    assert [c.data_type for c in row[1:4]] == ["s", "n", "n"]
