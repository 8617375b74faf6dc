"""The 台账 export is exactly the filtered list (same rows, same order, same scope), as CSV and
XLSX; the list's order is stable and its total is capped on large sets."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import literal, select, update

from services.hazard_api.hazards import service
from services.hazard_api.hazards.export_columns import beijing_text
from services.hazard_api.hazards.models import Hazard
from shared.clock import TestClock
from shared.db import UTCDateTime, make_engine, transaction
from shared.labels import (
    HAZARD_LEVEL_LABELS,
    HAZARD_STATUS_LABELS,
    LISTING_LEVEL_LABELS,
    PROVISIONAL_MARK,
    beijing_time,
    label,
)
from tests.hazard_api.lifecycle.conftest import HAZARD, Api


async def _county(api: Api) -> dict[str, list[str]]:
    """Hazards of two enterprises in several states, most found at the same moment."""
    ent, office = api.as_("hongxing"), api.as_("office")
    own = [
        (await ent.post("/hazards", HAZARD | {"description": f"红星第{n}处隐患"})).json()["code"]
        for n in range(5)
    ]
    other = [
        (await api.as_("huayu").post("/hazards", HAZARD | {"description": f"华宇第{n}处"})).json()
        for n in range(3)
    ]
    listed = (await ent.get("/hazards", params={"page_size": 100})).json()["items"]
    for h in listed[:2]:
        await office.post(f"/hazards/{h['id']}/classify", {"level": "general", "deadline_days": 5})
    await office.post(
        f"/hazards/{other[0]['id']}/classify", {"level": "general", "deadline_days": 3}
    )
    return {"hongxing": own, "huayu": [h["code"] for h in other]}


def _csv_codes(body: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["隐患编号", "单位", "隐患描述", "状态"]
    return [r[0] for r in rows[1:]]


def _xlsx_codes(body: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(body), read_only=True)["隐患台账"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "隐患编号"
    return [str(r[0]) for r in rows[1:]]


async def _list_codes(api: Api, who: str, params: dict[str, Any]) -> list[str]:
    body = (await api.as_(who).get("/hazards", params=params | {"page_size": 100})).json()
    assert body["total_exact"] is True and body["total"] == len(body["items"])
    return [h["code"] for h in body["items"]]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "classified", "sort": "deadline_at"},
        {"level": "general", "sort": "-found_at"},
        {"open": "true", "sort": "reported_at"},
        {"q": "红星第3处"},
    ],
)
async def test_the_export_has_exactly_the_rows_of_the_list(
    api: Api, params: dict[str, Any]
) -> None:
    await _county(api)
    want = await _list_codes(api, "office", params)
    assert want  # every filter here matches something
    as_csv = await api.as_("office").get("/hazards/export", params=params | {"format": "csv"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert _csv_codes(as_csv.content) == want
    as_xlsx = await api.as_("office").get("/hazards/export", params=params | {"format": "xlsx"})
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert _xlsx_codes(as_xlsx.content) == want


async def test_an_enterprise_exports_only_its_own_hazards(api: Api) -> None:
    codes = await _county(api)
    for fmt, read in (("csv", _csv_codes), ("xlsx", _xlsx_codes)):
        got = await api.as_("hongxing").get("/hazards/export", params={"format": fmt})
        assert sorted(read(got.content)) == sorted(codes["hongxing"])
    # Even asking for another enterprise's unit by id gives nothing of it.
    other = await api.as_("hongxing").get(
        "/hazards/export", params={"unit_id": "ent-huayu", "format": "csv"}
    )
    assert _csv_codes(other.content) == []


async def test_a_bad_export_request_is_refused_before_any_file(api: Api) -> None:
    bad = await api.as_("office").get("/hazards/export", params={"format": "pdf"})
    assert bad.status_code == 422
    unknown = await api.as_("office").get("/hazards/export", params={"colour": "red"})
    assert unknown.status_code == 422
    anonymous = await api.client.get("/hazards/export")
    assert anonymous.status_code == 401


async def test_pages_of_equal_sort_keys_neither_overlap_nor_skip(api: Api) -> None:
    await _county(api)
    for sort in ("-found_at", "found_at", "deadline_at", "-deadline_at", "grade"):
        whole = await _list_codes(api, "office", {"sort": sort})
        paged = []
        for page in range(1, len(whole) + 1):
            params = {"sort": sort, "page": page, "page_size": 1}
            paged += [
                h["code"]
                for h in (await api.as_("office").get("/hazards", params=params)).json()["items"]
            ]
        assert paged == whole and len(set(paged)) == len(whole) == 8


async def test_past_the_cap_the_total_says_at_least(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _county(api)
    monkeypatch.setattr(service, "TOTAL_CAP", 5)
    big = (await api.as_("office").get("/hazards", params={"page_size": 3})).json()
    assert (big["total"], big["total_exact"], len(big["items"])) == (5, False, 3)
    small = (await api.as_("office").get("/hazards", params={"level": "general"})).json()
    assert (small["total"], small["total_exact"]) == (3, True)
    # The 工作台 counts stay exact, and the export is not capped.
    counts = (await api.as_("office").get("/hazards/counts")).json()["queues"]
    assert {q["key"]: q["count"] for q in counts}["pending_classification"] == 5
    exported = await api.as_("office").get("/hazards/export")
    assert len(_csv_codes(exported.content)) == 8


def _expected_cells(h: dict[str, Any]) -> list[str]:
    """A row as the portal's own labels write the listed hazard (the export's texts come from
    SQL; this is the Python they must agree with)."""

    def when(text: str | None) -> str:
        return beijing_time(datetime.fromisoformat(text) if text else None)

    return [
        h["code"],
        h["unit_name"],
        h["description"],
        label(HAZARD_STATUS_LABELS, h["status"]),
        label(HAZARD_LEVEL_LABELS, h["level"], "未判定"),
        f"{h['grade']}级" if h["grade"] else "—",
        when(h["deadline_at"]) + (PROVISIONAL_MARK if h["deadline_provisional"] else ""),
        "是" if h["overdue"] else "否",
        label(LISTING_LEVEL_LABELS, h["listing_level"], "—"),
        h["location"],
        when(h["found_at"]),
        when(h["reported_at"]),
    ]


async def test_every_cell_reads_as_the_labels_write_it(
    api: Api, app: FastAPI, clock: TestClock
) -> None:
    codes = await _county(api)
    # One hazard major, graded, listed, with a provisional deadline; then the 3-day deadline
    # passes (overdue) while the 5-day ones do not.
    async with transaction(app.state.sessionmaker) as session:
        await session.execute(
            update(Hazard)
            .where(Hazard.code == codes["huayu"][0])
            .values(level="major", grade=2, listing_level="county", deadline_provisional=True)
        )
    clock.advance(timedelta(days=4))
    listed = (await api.as_("office").get("/hazards", params={"page_size": 100})).json()["items"]
    assert {h["overdue"] for h in listed} == {True, False}
    got = await api.as_("office").get("/hazards/export", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))[1:]
    assert rows == [_expected_cells(h) for h in listed]
    major = next(r for r in rows if r[0] == codes["huayu"][0])
    assert major[5:9] == ["2级", major[6], "是", "县级挂牌督办"] and major[6].endswith("（预计）")
    sheet = load_workbook(
        io.BytesIO(
            (await api.as_("office").get("/hazards/export", params={"format": "xlsx"})).content
        ),
        read_only=True,
    )["隐患台账"]
    assert [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)] == rows


async def test_export_times_read_as_the_labels_write_them(database_url: str) -> None:
    """Times formatted by the database (PostgreSQL's time zone data; SQLite's fixed +8 hours)
    read as labels.beijing_time writes them, at both ends of a Beijing day and of a year (a
    deadline's last microsecond too: still 23:59 of its own day)."""
    moments = ("2026-03-05T02:00:00Z", "2026-12-31T16:00:00Z", "2027-06-30T15:59:59.999999Z")
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            for text in (*moments, None):
                moment = datetime.fromisoformat(text) if text else None
                value = literal(moment, UTCDateTime())
                got = await conn.scalar(select(beijing_text(value, engine.dialect.name)))
                assert got == beijing_time(moment), (engine.dialect.name, text)
    finally:
        await engine.dispose()


async def test_text_that_looks_like_a_formula_stays_text(api: Api) -> None:
    """A description or place starting with "=" is the reporter's text, not a formula for the
    office's Excel to run."""
    text = '=HYPERLINK("http://example.com","点此")'
    made = await api.as_("hongxing").post(
        "/hazards", HAZARD | {"description": text, "location": "=1+1"}
    )
    assert made.status_code == 201, made.text
    got = await api.as_("hongxing").get("/hazards/export", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(got.content))["隐患台账"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == made.json()["code"])
    assert (row[2].value, row[2].data_type) == (text, "s")
    assert (row[9].value, row[9].data_type) == ("=1+1", "s")


async def test_a_formula_in_the_csv_export_is_quoted_as_text(api: Api) -> None:
    """The same texts in the CSV export get OWASP's single quote, which Excel shows as text;
    a cell that only looks like a negative number stays as it is."""
    text = '=HYPERLINK("http://example.com","点此")'
    made = await api.as_("hongxing").post(
        "/hazards", HAZARD | {"description": text, "location": "-12"}
    )
    assert made.status_code == 201, made.text
    got = await api.as_("hongxing").get("/hazards/export", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    row = next(r for r in rows if r[0] == made.json()["code"])
    assert (row[2], row[9]) == ("'" + text, "-12")
