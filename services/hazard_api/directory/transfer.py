"""Directory import and export through the spreadsheet: read, check everything, then write all
of it or nothing; an export is a file the import takes back unchanged."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.bulk import Changes, Counts, apply_plan
from services.hazard_api.directory.intake import check
from services.hazard_api.directory.rows import KIND_ORDER, Snapshot
from services.hazard_api.directory.sheets import NO, YES
from services.hazard_api.directory.snapshot import load_snapshot, lock_directory
from services.hazard_api.directory.workbook import Cell, read_workbook, write_workbook
from shared.clock import Clock
from shared.contract import UnitKind
from shared.labels import ENTERPRISE_STATUS_LABELS, POST_ROLE_LABELS, UNIT_KIND_LABELS

MAX_FILE_BYTES = 50 * 1024 * 1024  # a county of 100,000 rows is about 5 MB
_collector_pauses = 0  # imports under way in this process with the cycle collector paused


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """An import allocates some hundreds of thousands of objects that live until it ends (cells,
    rows, payloads), and the cycle collector traversed them again and again (measured: 40% of
    the import's CPU). Reference counting still frees whatever is dropped; only cycles made
    meanwhile wait until the last import under way in the process ends (a count: requests may
    overlap). A collector someone else disabled stays disabled."""
    global _collector_pauses
    if _collector_pauses == 0 and not gc.isenabled():  # disabled by someone else: leave it
        yield
        return
    _collector_pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _collector_pauses -= 1
        if _collector_pauses == 0:
            gc.enable()


class ImportProblem(BaseModel):
    sheet: str
    row: int | None
    column: str | None
    message: str


class ImportCounts(BaseModel):
    units: int = 0
    people: int = 0
    posts: int = 0


class ImportReport(BaseModel):
    ok: bool
    dry_run: bool
    message: str
    problems: list[ImportProblem] = []
    created: ImportCounts = ImportCounts()
    updated: ImportCounts = ImportCounts()
    unchanged: ImportCounts = ImportCounts()
    events: int = 0


def _counts(c: Counts) -> ImportCounts:
    return ImportCounts(units=c.units, people=c.people, posts=c.posts)


def _summary(changes: Changes, dry_run: bool) -> str:
    c, u = changes.created, changes.updated
    done = "校验通过，试导入（未写入）：将" if dry_run else "导入完成："
    if not (c.units or c.people or c.posts or u.units or u.people or u.posts):
        return ("校验通过，" if dry_run else "导入完成，") + "目录与文件一致，没有需要变更的内容"
    return (
        f"{done}新增单位 {c.units} 个、人员 {c.people} 人、岗位 {c.posts} 个；"
        f"更新单位 {u.units} 个、人员 {u.people} 人、岗位 {u.posts} 个"
    )


async def import_directory(
    data: bytes,
    *,
    session: AsyncSession,
    user: AuthUser | None,
    clock: Clock,
    dry_run: bool = False,
) -> ImportReport:
    """`user` None: the operator on the server (`duban directory import`). The caller commits;
    with problems (or `dry_run`) nothing has been written."""
    with _cycle_collector_paused():
        return await _import(data, session=session, user=user, clock=clock, dry_run=dry_run)


async def _import(
    data: bytes, *, session: AsyncSession, user: AuthUser | None, clock: Clock, dry_run: bool
) -> ImportReport:
    # The file is parsed in a thread while the stored directory is read.
    reading = asyncio.create_task(asyncio.to_thread(read_workbook, data))
    try:
        await lock_directory(session)
        current = await load_snapshot(session)
    except BaseException:
        reading.cancel()
        raise
    sheets = await reading
    plan, problems = await asyncio.to_thread(check, sheets, current)
    if problems:
        return ImportReport(
            ok=False,
            dry_run=dry_run,
            message=f"文件中有 {len(problems)} 处错误，未写入任何数据；请逐条修改后重新导入",
            problems=[ImportProblem(**vars(p)) for p in problems],
        )
    changes = await apply_plan(session, plan, current, user=user, now=clock.now(), dry_run=dry_run)
    return ImportReport(
        ok=True,
        dry_run=dry_run,
        message=_summary(changes, dry_run),
        created=_counts(changes.created),
        updated=_counts(changes.updated),
        unchanged=_counts(changes.unchanged),
        events=0 if dry_run else changes.events,
    )


def _yes_no(value: bool) -> str:
    return YES if value else NO


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def export_rows(snapshot: Snapshot) -> dict[str, list[list[Cell]]]:
    """The sheets' rows, in the template's columns, parents before children."""
    units = sorted(
        snapshot.units.values(),
        key=lambda u: (KIND_ORDER[UnitKind(u.kind)], u.parent_id or "", u.id),
    )
    rows: dict[str, list[list[Cell]]] = {
        "units": [],
        "enterprises": [],
        "supervision": [],
        "people": [],
        "posts": [],
        "portfolios": [],
    }
    supervision: list[tuple[str, str | None, str | None]] = []
    for u in units:
        if u.kind == UnitKind.ENTERPRISE:
            rows["enterprises"].append(
                [
                    u.id,
                    u.credit_code,
                    u.name,
                    u.territorial_unit_id,
                    u.area_code,
                    u.industry_code,
                    u.industry_name,
                    _yes_no(u.high_risk),
                    ENTERPRISE_STATUS_LABELS[u.status or "operating"],
                ]
            )
            supervision.extend((d, u.id, None) for d in u.departments)
        else:
            supervision.extend((u.id, None, c) for c in u.industries)
            rows["units"].append(
                [
                    u.id,
                    u.name,
                    UNIT_KIND_LABELS[u.kind],
                    u.parent_id,
                    u.area_code,
                    _yes_no(u.is_safety_office),
                ]
            )
    rows["supervision"] = [
        list(r) for r in sorted(supervision, key=lambda r: (r[0], r[1] or "", r[2] or ""))
    ]
    for p in sorted(snapshot.people.values(), key=lambda p: (p.unit_id, p.id)):
        rows["people"].append([p.id, p.name, p.unit_id, p.mobile, p.email, _yes_no(p.active)])
    for post in sorted(snapshot.posts.values(), key=lambda p: (p.unit_id, p.id)):
        rows["posts"].append(
            [
                post.id,
                post.unit_id,
                POST_ROLE_LABELS[post.role],
                post.title,
                post.holder_person_id,
                _yes_no(post.acting),
                post.acting_person_id,
                _day(post.acting_from),
                _day(post.acting_until),
                _day(post.holder_from),
                post.previous_holder_person_id,
            ]
        )
        rows["portfolios"].extend([post.id, u, None] for u in post.portfolio_units)
        rows["portfolios"].extend([post.id, None, c] for c in post.portfolio_industries)
    return rows


async def export_directory(session: AsyncSession) -> bytes:
    snapshot = await load_snapshot(session)
    return await asyncio.to_thread(write_workbook, export_rows(snapshot))


async def template() -> bytes:
    return await asyncio.to_thread(write_workbook, {})
