"""季度统计报送: the quarter's 16号令 table goes upward on the configured day, once, built as of
the quarter's end; regenerated later (after the hazards moved on) it is the same bytes — the
document, its CSV and its XLSX."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import openpyxl
from sqlalchemy import select, update

from ops.province_emulator import Emulator
from services.reporting.intake.units import UnitCopy
from services.reporting.ledger.models import Submission, SubmissionFile
from services.reporting.quarterly import document as doc
from services.reporting.quarterly.schedule import due_at, quarter_due
from tests.hazard_api.conftest import seeded_templates  # noqa: F401 - a fixture
from tests.reporting.conftest import CREDIT
from tests.reporting.hazard_side import (
    Sides,
    sides_fixture,  # noqa: F401 - the `sides` fixture
)

# 10 April 2026, 09:00 Beijing: the default moment for the first quarter.
DUE = datetime(2026, 4, 10, 1, 0, tzinfo=UTC)


def test_the_moment_is_the_configured_day_of_the_month_after_the_quarter() -> None:
    assert due_at(2026, 1, day=10, hour=9) == DUE
    assert due_at(2026, 4, day=5, hour=8) == datetime(2027, 1, 5, 0, 0, tzinfo=UTC)
    assert quarter_due(datetime(2026, 4, 10, 0, 59, tzinfo=UTC), day=10, hour=9) is None
    assert quarter_due(DUE, day=10, hour=9) == (2026, 1)
    assert quarter_due(datetime(2027, 1, 20, tzinfo=UTC), day=10, hour=9) == (2026, 4)


async def _quarter_one(s: Sides) -> str:
    """In the first quarter: a major hazard listed by the county, a general one classified."""
    listed = await s.major_hazard(grade=3)
    r = await s.hazard.post(f"/hazards/{listed}/listing", json={"notice_no": "演安委〔2026〕1号"})
    assert r.status_code == 200, r.text
    general = await s.hazard.post(
        "/hazards",
        json={
            "unit_id": "ent-hongxing",
            "location": "仓库",
            "description": "灭火器过期未更换",
            "source": "inspection",
            "found_at": "2026-03-05T02:00:00Z",
        },
    )
    gid = str(general.json()["id"])
    assert (await s.hazard.post(f"/hazards/{gid}/classify", json={"level": "general"})).is_success
    async with s.runtime.sessionmaker() as session, session.begin():
        session.add(
            UnitCopy(
                unit_id="ent-hongxing",
                kind="enterprise",
                name="红星烟花爆竹有限公司",
                area_code="430723",
                credit_code=CREDIT,
                industry_code="C2672",
            )
        )
    return gid


async def _submitted(s: Sides) -> tuple[Submission, dict[str, bytes]]:
    async with s.runtime.sessionmaker() as session:
        rows = list(await session.scalars(select(Submission)))
        assert len(rows) == 1
        files = await session.scalars(
            select(SubmissionFile).where(SubmissionFile.submission_seq == rows[0].seq)
        )
        return rows[0], {f.name: f.content for f in files}


async def test_the_quarter_is_submitted_once_and_regenerates_byte_for_byte(sides: Sides) -> None:
    s = sides
    general = await _quarter_one(s)
    quarterly = s.runtime.incoming.quarterly
    s.clock.set(datetime(2026, 4, 10, 0, 59, tzinfo=UTC))
    assert await quarterly.tick() == []
    s.clock.set(DUE)
    ids = await quarterly.tick()
    assert len(ids) == 1 and await quarterly.tick() == []

    sent, files = await _submitted(s)
    assert (sent.document, sent.item_key, sent.webhook_id) == (doc.NAME, "quarterly:2026Q1", ids[0])
    body = json.loads(sent.body)
    assert Emulator([]).problems(body) == []  # the receiver's check: schema, credit code
    data = body["data"]
    assert data["as_of"] == "2026-04-01T00:00:00+08:00"
    assert (data["total"]["found"], data["total"]["major"], data["total"]["listed"]) == (2, 1, 1)
    assert data["units"][0]["credit_code"] == CREDIT
    assert set(files) == {"隐患排查治理统计-2026Q1.csv", "隐患排查治理统计-2026Q1.xlsx"}
    csv_text = files["隐患排查治理统计-2026Q1.csv"].decode("utf-8-sig")
    assert csv_text.startswith(
        "2026年第1季度事故隐患排查治理情况统计表（数据截至2026年04月01日00:00）"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(files["隐患排查治理统计-2026Q1.xlsx"])).active
    assert sheet is not None and sheet.cell(row=4, column=1).value == "合计"
    # The workbook carries the table's moment, not the moment it was saved.
    with zipfile.ZipFile(io.BytesIO(files["隐患排查治理统计-2026Q1.xlsx"])) as book:
        assert {i.date_time for i in book.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert core.count("2026-03-31T16:00:00Z") == 2

    # The second quarter goes on: the general hazard is fixed, a new one is found.
    s.clock.set(datetime(2026, 4, 20, 2, 0, tzinfo=UTC))
    assert (await s.hazard.post(f"/hazards/{general}/start-rectification", json={})).is_success
    again = await s.major_hazard()
    assert again
    assert doc.regenerate(sent.source) == sent.body
    check = await s.client.get("/quarterly/2026/1/verification", headers=s.office)
    assert check.status_code == 200, check.text
    assert check.json()["identical"] is True, check.json()
    assert [p["name"] for p in check.json()["parts"]] == ["body", *sorted(files, reverse=False)]

    # The check is real: a copy changed in the ledger no longer matches.
    async with s.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(SubmissionFile)
            .where(SubmissionFile.name.endswith(".csv"))
            .values(content=b"tampered")
        )
    changed = (await s.client.get("/quarterly/2026/1/verification", headers=s.office)).json()
    assert changed["identical"] is False
    assert [p["identical"] for p in changed["parts"]] == [True, False, True]


async def test_submitting_by_hand_is_for_ended_quarters_and_adds_nothing_twice(
    sides: Sides,
) -> None:
    s = sides
    s.clock.set(DUE)
    running = await s.client.post("/quarterly/2026/2/submission", headers=s.office)
    assert running.status_code == 409 and "尚未结束" in running.json()["detail"]
    first = await s.client.post("/quarterly/2026/1/submission", headers=s.office)
    assert first.status_code == 200 and first.json()["created"] is True
    second = await s.client.post("/quarterly/2026/1/submission", headers=s.office)
    assert second.json() == first.json() | {"created": False}
    assert await s.runtime.incoming.quarterly.tick() == []
    assert (await s.client.post("/quarterly/2026/1/submission")).status_code == 401
    missing = await s.client.get("/quarterly/2025/4/verification", headers=s.office)
    assert missing.status_code == 404
