"""`duban directory import|export|template`: the county's directory spreadsheet from the
server's shell, straight against hazard_api's database (`HAZARD_API_DATABASE_URL`), through
the same functions as the API's `/directory/*` (the operator is the county office here)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ops.admin import AdminError, hazard_settings
from services.hazard_api.config import Settings
from services.hazard_api.directory.transfer import (
    MAX_FILE_BYTES,
    ImportReport,
    export_directory,
    import_directory,
    template,
)
from shared.db import make_sessionmaker, transaction


async def import_file(data: bytes, *, settings: Settings, dry_run: bool) -> ImportReport:
    engine = settings.make_engine()
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            return await import_directory(
                data, session=session, user=None, clock=settings.make_clock(), dry_run=dry_run
            )
    finally:
        await engine.dispose()


async def export_data(*, settings: Settings) -> bytes:
    engine = settings.make_engine()
    try:
        async with make_sessionmaker(engine)() as session:
            return await export_directory(session)
    finally:
        await engine.dispose()


def _where(problem_sheet: str, row: int | None, column: str | None) -> str:
    parts = [f"“{problem_sheet}”表" if problem_sheet else "文件"]
    if row is not None:
        parts.append(f"第{row}行")
    if column:
        parts.append(f"“{column}”列")
    return "".join(parts)


def run_import(path: str, *, dry_run: bool) -> int:
    """Exit 0: imported (or checked, with --dry-run); 1: problems, nothing written."""
    file = Path(path)
    try:
        settings = hazard_settings()
        if not file.is_file():
            raise AdminError(f"找不到文件：{path}")
        if file.stat().st_size > MAX_FILE_BYTES:
            raise AdminError(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请分批导入")
        report = asyncio.run(import_file(file.read_bytes(), settings=settings, dry_run=dry_run))
    except AdminError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not report.ok:
        print(report.message, file=sys.stderr)
        for p in report.problems:
            print(f"  {_where(p.sheet, p.row, p.column)}：{p.message}", file=sys.stderr)
        return 1
    print(report.message)
    if not dry_run:
        print(f"已发出目录变更事件 {report.events} 条")
    return 0


def run_export(path: str) -> int:
    try:
        data = asyncio.run(export_data(settings=hazard_settings()))
    except AdminError as exc:
        print(exc, file=sys.stderr)
        return 1
    Path(path).write_bytes(data)
    print(f"已导出组织目录到 {path}（{len(data)} 字节）")
    return 0


def run_template(path: str) -> int:
    Path(path).write_bytes(asyncio.run(template()))
    print(f"已写入导入模板 {path}")
    return 0
