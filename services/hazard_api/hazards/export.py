"""导出隐患台账: exactly the filtered, scoped set of `GET /hazards`, in its order, as CSV or XLSX,
streamed. Rows come off a server-side cursor a partition at a time (never the whole set in
memory); CSV goes out as each partition is written; XLSX is written by XlsxWriter in its
constant-memory mode to a temporary file (a zip cannot be sent before it is finished) and then
streamed."""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import xlsxwriter
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.service import AuthUser
from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.hazards.deps import HazardReader
from services.hazard_api.hazards.export_columns import HEADERS, cells
from services.hazard_api.hazards.service import HazardFilter, matching, ordered
from shared import csv_cells

router = APIRouter(tags=["hazards"])

# Rows fetched per round trip from the cursor, and written per chunk.
PARTITION = 2000
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportFilter(HazardFilter):
    """The filters and sort of `GET /hazards`, plus the file format (paging is not applied)."""

    format: ExportFormat = ExportFormat.CSV


async def partitions(
    session: AsyncSession, user: AuthUser, f: HazardFilter, now: datetime
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The filtered set in list order, each row already the file's texts. The request's
    session: a dependency with `yield` is closed after the answer has been sent, so it outlives
    the view (and on SQLite a second session would wait for the first one's lock). Core rather
    than the ORM: the rows are plain tuples of text, with no entity loading to pay for."""
    connection = await session.connection()
    query = (
        select(*cells(connection.dialect.name, now))
        .where(*matching(user, f, now))
        .order_by(*ordered(f))
        .execution_options(yield_per=PARTITION)
    )
    result = await connection.stream(query)
    async for part in result.partitions():
        yield part


async def csv_chunks(parts: AsyncIterator[Sequence[Row[Any]]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv_cells.writer(buffer)
    writer.writerow(HEADERS)
    yield ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens it as UTF-8
    async for part in parts:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(part)
        yield buffer.getvalue().encode()


async def xlsx_chunks(parts: AsyncIterator[Sequence[Row[Any]]]) -> AsyncIterator[bytes]:
    # One temporary directory for the sheet's row data and the file: removed however the
    # answer ends (a client that leaves mid-way included).
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hazards.xlsx")
        # constant_memory: each row goes to the sheet's temporary XML as it is written, never
        # all in memory. Every cell is written as text: a description starting with "=" must
        # not become a formula in the office's Excel.
        options = {"constant_memory": True, "tmpdir": tmp, **_TEXT_AS_TEXT}
        book = xlsxwriter.Workbook(path, options)
        sheet = book.add_worksheet("隐患台账")
        written = 0

        def append(rows: Sequence[Sequence[str]]) -> None:
            nonlocal written
            for r in rows:
                for column, value in enumerate(r):
                    sheet.write_string(written, column, value)
                written += 1

        append([HEADERS])
        async for part in parts:
            await asyncio.to_thread(append, part)
        await asyncio.to_thread(book.close)
        with open(path, "rb") as file:  # noqa: ASYNC230 - local temporary file, read in chunks
            for chunk in _chunks(file):
                yield chunk


_TEXT_AS_TEXT = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def _chunks(file: io.BufferedReader) -> Iterator[bytes]:
    while chunk := file.read(256 * 1024):
        yield chunk


@router.get(
    "/hazards/export",
    summary="导出隐患台账（CSV / XLSX，流式）",
    description=(
        "导出与 `GET /hazards` 相同筛选条件、相同排序、相同管辖范围的全部隐患（不分页，"
        "`page`、`page_size` 不起作用）。`format=csv`（UTF-8，带 BOM，Excel 可直接打开）"
        "或 `format=xlsx`。数据逐批从数据库游标读取并流式返回，大批量导出不占满内存。"
        "时间为北京时间。"
    ),
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "文件内容",
            "content": {"text/csv": {}, XLSX_MEDIA: {}},
        }
    },
)
async def export(
    f: Annotated[ExportFilter, Query()], session: SessionDep, user: HazardReader, clock: ClockDep
) -> StreamingResponse:
    now = clock.now()
    parts = partitions(session, user, f, now)
    if f.format == ExportFormat.XLSX:
        return StreamingResponse(
            xlsx_chunks(parts),
            media_type=XLSX_MEDIA,
            headers={"Content-Disposition": 'attachment; filename="hazards.xlsx"'},
        )
    return StreamingResponse(
        csv_chunks(parts),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="hazards.csv"'},
    )
