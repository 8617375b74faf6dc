"""Directory import/export: county office only, dry runs, files that are not workbooks, credit
codes through the API, the 一岗双责 fields round-tripping, and the audit chains an import
extends."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.directory.models import Unit
from services.hazard_api.directory.seed import DemoCounty
from shared.db import make_engine
from tests.hazard_api.conftest import Login
from tests.hazard_api.directory_files import (
    counts,
    edited,
    export,
    org_events,
    upload,
)


@pytest.mark.parametrize("username", ["daping", "zhujian", "hongxing", "fuxianzhang"])
async def test_import_and_export_are_the_county_office_s(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str, username: str
) -> None:
    data = await export(client, await login("office"))
    headers = await login(username)
    before = await counts(hazard_db)
    refused = await upload(client, headers, data, dry_run="false")
    assert refused.status_code == 403
    assert (await client.get("/directory/export", headers=headers)).status_code == 403
    assert await counts(hazard_db) == before


async def test_dry_run_over_the_api_counts_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str
) -> None:
    headers = await login("office")
    data, _ = edited(
        await export(client, headers), {"人员": [["p-new", "新人", "tw-daping", "", "", "是"]]}
    )
    before = await counts(hazard_db)
    report = await upload(client, headers, data, dry_run="true")
    assert report.status_code == 200, report.text
    assert report.json()["dry_run"] is True and report.json()["created"]["people"] == 1
    assert await counts(hazard_db) == before
    assert (await client.get("/people/p-new", headers=headers)).status_code == 404


def zip_bomb() -> bytes:
    """A small upload that claims 600 MB once unpacked."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(600):
            member.write(bytes(1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "无法读取文件"),
        (b"not a spreadsheet", "无法读取文件"),
        (b"PK\x03\x04broken zip", "无法读取文件"),
        (b"bomb", "文件解压后超过 500 MB"),
    ],
    ids=["empty", "text", "zip", "bomb"],
)
async def test_a_file_that_is_not_a_workbook_is_a_4xx(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, content: bytes, message: str
) -> None:
    if content == b"bomb":
        content = await asyncio.to_thread(zip_bomb)
    response = await upload(client, await login("office"), content)
    assert response.status_code == 422
    assert message in response.json()["problems"][0]["message"]


async def test_unit_credit_code_is_checked_by_the_api(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, app: FastAPI
) -> None:
    headers = await login("office")
    body = {
        "kind": "enterprise",
        "name": "核验公司",
        "area_code": "430723",
        "territorial_unit_id": "tw-daping",
        "industry_code": "C2672",
        "credit_code": "91350100M000100Y44",
    }
    wrong = await client.post("/units", json=body, headers=headers)
    assert wrong.status_code == 422
    assert "校验位错误" in wrong.text
    created = await client.post(
        "/units", json={**body, "credit_code": "91350100M000100Y43"}, headers=headers
    )
    assert created.status_code == 201, created.text
    twin = await client.post(
        "/units",
        json={**body, "name": "另一家", "credit_code": "91350100M000100Y43"},
        headers=headers,
    )
    assert twin.status_code == 409
    async with app.state.sessionmaker() as session:
        stored = await session.scalar(select(Unit.credit_code).where(Unit.name == "核验公司"))
    assert stored == "91350100M000100Y43"


async def test_acting_periods_handovers_and_regulated_industries_round_trip(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str
) -> None:
    headers = await login("office")
    data, first = edited(
        await export(client, headers),
        {
            "人员": [["p-acting", "代理人", "tw-daping", "13800006666", "", "是"]],
            "岗位": [
                # 周军 stands in for a new head of 大坪乡's work-safety station from 1 March
                # (Excel date cells and typed text both read as days), after 吴丽 handed over.
                [
                    "post-daping-zhanzhang",
                    "tw-daping",
                    "工作人员",
                    "安监站站长",
                    "p-zhengyu",
                    "否",
                    "p-acting",
                    date(2026, 3, 1),
                    "2026/3/31",
                    "2026年2月1日",
                    "p-wuli",
                ],
                [
                    "post-bad",
                    "tw-daping",
                    "工作人员",
                    "错误日期",
                    "p-zhoujun",
                    "否",
                    "p-acting",
                    "2026-03-31",
                    "2026-03-01",
                ],
            ],
            "行业监管": [["dep-jiaoyu", "", "P83"]],
        },
    )
    bad = await upload(client, headers, data)
    assert bad.status_code == 422
    assert [(p["sheet"], p["row"], p["column"]) for p in bad.json()["problems"]] == [
        ("岗位", first["岗位"] + 1, "代理结束日期")
    ]
    book = load_workbook(io.BytesIO(data))
    book["岗位"].delete_rows(first["岗位"] + 1)
    out = io.BytesIO()
    book.save(out)
    good = await upload(client, headers, out.getvalue())
    assert good.status_code == 200, good.text

    post = (await client.get("/posts/post-daping-zhanzhang", headers=headers)).json()
    assert post["acting_person_id"] == "p-acting"
    assert (post["acting_from"], post["acting_until"]) == ("2026-03-01", "2026-03-31")
    assert (post["holder_from"], post["previous_holder_person_id"]) == ("2026-02-01", "p-wuli")
    department = (await client.get("/units/dep-jiaoyu", headers=headers)).json()
    assert department["regulated_industry_codes"] == ["P83"]
    event = [e for e in await org_events(hazard_db) if e.aggregate_id == "dep-jiaoyu"][-1]
    assert event.payload["regulated_industry_codes"] == ["P83"]

    before = await counts(hazard_db)
    again = await upload(client, headers, await export(client, headers))
    assert again.status_code == 200 and again.json()["events"] == 0
    assert await counts(hazard_db) == before


async def test_import_audit_rows_extend_each_entity_s_chain(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str
) -> None:
    """A post deleted and imported again continues its chain; the whole log still verifies."""
    headers = await login("office")
    data = await export(client, headers)
    deleted = await client.delete("/posts/post-daping-anjianzhan", headers=headers)
    assert deleted.status_code == 204
    book = load_workbook(io.BytesIO(data))
    for row in book["人员"].iter_rows(min_row=2):
        if row[0].value == "p-zhengyu":
            row[1].value = "郑宇航"
    out = io.BytesIO()
    book.save(out)
    report = await upload(client, headers, out.getvalue())
    assert report.status_code == 200, report.text
    assert (report.json()["created"]["posts"], report.json()["updated"]["people"]) == (1, 1)

    engine = make_engine(hazard_db)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(AuditRow.chain_key, AuditRow.seq, AuditRow.action, AuditRow.actor_role)
                    .where(
                        AuditRow.chain_key.in_(["post:post-daping-anjianzhan", "person:p-zhengyu"])
                    )
                    .order_by(AuditRow.chain_key, AuditRow.seq)
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("person:p-zhengyu", 1, "directory.person_updated", "county_office"),
        ("post:post-daping-anjianzhan", 1, "directory.post_removed", "county_office"),
        ("post:post-daping-anjianzhan", 2, "directory.post_created", "county_office"),
    ]
    verified = await client.get("/audit/verify", headers=headers)
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
