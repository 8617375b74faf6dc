"""Helpers of the directory import tests: codes, snapshots, events, uploads, edited files."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.rows import Snapshot
from services.hazard_api.directory.snapshot import load_snapshot
from shared.codes.national import credit_check_char
from shared.contract import ORG_EVENTS, Envelope
from shared.db import make_engine, make_sessionmaker

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def credit_code(body: str) -> str:
    """A valid GB 32100 code from its first 17 characters."""
    return body + credit_check_char(body)


async def snapshot_of(database_url: str) -> Snapshot:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await load_snapshot(session)
    finally:
        await engine.dispose()


async def counts(database_url: str) -> tuple[int, int]:
    """(outbox rows, audit rows)."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            outbox = await conn.scalar(select(func.count()).select_from(outbox_tables.outbox))
            audit = await conn.scalar(select(func.count()).select_from(AuditRow))
    finally:
        await engine.dispose()
    return outbox or 0, audit or 0


async def org_events(database_url: str) -> list[Envelope]:
    o = outbox_tables.outbox
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(o.c.topic, o.c.value).order_by(o.c.id))).all()
    finally:
        await engine.dispose()
    # Besides the directory's, only the demo county's seeded 停产整顿 order (demo_county.yaml).
    others = [Envelope.model_validate_json(r.value).type for r in rows if r.topic != ORG_EVENTS]
    assert set(others) <= {"suspension.event"} and len(others) <= 1
    return [Envelope.model_validate_json(r.value) for r in rows if r.topic == ORG_EVENTS]


async def export(client: httpx.AsyncClient, headers: dict[str, str]) -> bytes:
    response = await client.get("/directory/export", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    return response.content


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes, **params: Any
) -> httpx.Response:
    return await client.post(
        "/directory/import",
        files={"file": ("目录.xlsx", data, XLSX)},
        params=params,
        headers=headers,
    )


def edited(data: bytes, rows: dict[str, list[list[Any]]]) -> tuple[bytes, dict[str, int]]:
    """`data` with rows appended per sheet; the file and the number of each first new row."""
    book = load_workbook(io.BytesIO(data))
    first: dict[str, int] = {}
    for title, new in rows.items():
        ws = book[title]
        first[title] = ws.max_row + 1
        for row in new:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), first
