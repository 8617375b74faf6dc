"""Directory import from one XLSX file against its floor, in one run.

Generates a county (3,000 government units, 5,000 enterprises, 10,000 people each holding a
post, portfolios, supervision), writes it in the import template's format, then on PostgreSQL
(DUBAN_TEST_PG_DSN, default postgresql://postgres@127.0.0.1:5432/test; fresh databases are
created and dropped):
- floor: read the same file with a streaming XLSX reader (calamine, row by row) and write the
  same rows with a bare `COPY` into text tables without keys, in one transaction;
- import: `import_directory` into an empty migrated database, committed: reading, checking
  every row, diffing, bulk upserts, one org event (outbox) and audit row per entity.
Each repetition measures the floor and then the import back to back (the machine's load is
about the same for both); the medians over BENCH_IMPORT_REPS repetitions (default 3) are
compared. Ends with `RESULT import_rows_per_s=<n> ratio=<x>` (ratio: import throughput / the
floor's, i.e. floor time / import time). Sizes: BENCH_IMPORT_PEOPLE, BENCH_IMPORT_UNITS,
BENCH_IMPORT_ENTERPRISES.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from python_calamine import CalamineWorkbook
from sqlalchemy.engine import make_url

from services.hazard_api.audit import keys as audit_keys
from services.hazard_api.db import MIGRATIONS_DIR
from services.hazard_api.directory.sheets import SHEETS
from services.hazard_api.directory.transfer import import_directory
from services.hazard_api.directory.workbook import Cell, write_workbook
from shared.clock import SystemClock
from shared.codes.national import CREDIT_ALPHABET, credit_check_char
from shared.db import make_engine, make_sessionmaker, transaction
from shared.migrations import upgrade_async

PEOPLE = int(os.environ.get("BENCH_IMPORT_PEOPLE", "10000"))
UNITS = int(os.environ.get("BENCH_IMPORT_UNITS", "3000"))
ENTERPRISES = int(os.environ.get("BENCH_IMPORT_ENTERPRISES", "5000"))
REPS = int(os.environ.get("BENCH_IMPORT_REPS", "3"))
PG_ADMIN_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
AREA = "430723"
TOWNSHIPS = 20
DEPARTMENTS = 40
INDUSTRIES = ["C2672", "C2614", "F5169", "F5265", "E4710", "E4812", "B1011", "D4511", "F5211"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def credit(n: int) -> str:
    digits = "".join(CREDIT_ALPHABET[(n // 31**i) % 31] for i in range(8))
    body = f"91{AREA}{digits}0"
    return body + credit_check_char(body)


def county() -> dict[str, list[list[Cell]]]:
    rows: dict[str, list[list[Cell]]] = {s.key: [] for s in SHEETS}
    units = rows["units"]
    units.append(["county", "基准县", "县（市、区）", None, AREA, "否"])
    townships = [f"tw-{i}" for i in range(TOWNSHIPS)]
    departments = [f"dep-{i}" for i in range(DEPARTMENTS)]
    units += [
        [t, f"第{i}乡", "乡镇（街道）", "county", None, "否"] for i, t in enumerate(townships)
    ]
    units += [
        [d, f"第{i}局", "部门", "county", None, "是" if i == 0 else "否"]
        for i, d in enumerate(departments)
    ]
    villages = [f"vl-{i}" for i in range(UNITS - len(units))]
    units += [
        [v, f"第{i}村", "村（社区）", townships[i % TOWNSHIPS], None, "否"]
        for i, v in enumerate(villages)
    ]
    government = [u[0] for u in units]
    for i in range(ENTERPRISES):
        code = credit(i)
        industry = INDUSTRIES[i % len(INDUSTRIES)]
        place = villages[i % len(villages)]
        rows["enterprises"].append(
            [None, code, f"第{i}号企业有限公司", place, None, industry, None, "是", "正常生产"]
        )
        rows["supervision"].append([departments[i % DEPARTMENTS], code, None])
        if i % 2:
            rows["supervision"].append([departments[(i + 7) % DEPARTMENTS], code, None])
    rows["supervision"] += [[d, None, INDUSTRIES[i % 9][:3]] for i, d in enumerate(departments)]
    for i in range(PEOPLE):
        unit = government[i % len(government)]
        name = SURNAMES[i % len(SURNAMES)] + "某" + str(i)
        rows["people"].append([f"p-{i}", name, unit, f"139{i:08d}", None, "是"])
        role = "主要负责人" if i < len(government) else "工作人员"
        rows["posts"].append([f"post-{i}", unit, role, "职务", f"p-{i}", "否"])
    for i in range(TOWNSHIPS):  # county leaders' portfolios
        rows["portfolios"].append([f"post-{i % len(government)}", townships[i], None])
    return rows


# ----------------------------------------------------------------------------- floor
def read_streaming(path: Path) -> dict[str, list[list[Any]]]:
    out: dict[str, list[list[Any]]] = {}
    with CalamineWorkbook.from_path(path) as book:
        for sheet in SHEETS:
            rows = book.get_sheet_by_name(sheet.title).iter_rows()
            next(rows)  # header
            out[sheet.key] = [["" if v is None else str(v) for v in row] for row in rows]
    return out


def cpu() -> float:
    """This process's CPU time, all threads: beside the wall times, a figure the machine's other
    load hardly moves (the database server's work is not in it)."""
    return time.process_time()


async def floor(path: Path, dsn: str) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        for sheet in SHEETS:
            columns = ", ".join(f"c{i} text" for i in range(len(sheet.columns)))
            await conn.execute(f"DROP TABLE IF EXISTS floor_{sheet.key}")
            await conn.execute(f"CREATE TABLE floor_{sheet.key} ({columns})")
        started = time.perf_counter()
        data = await asyncio.to_thread(read_streaming, path)
        async with conn.transaction():
            for sheet in SHEETS:
                width = len(sheet.columns)
                records = [(r + [""] * width)[:width] for r in data[sheet.key]]
                await conn.copy_records_to_table(f"floor_{sheet.key}", records=records)
        return time.perf_counter() - started
    finally:
        await conn.close()


# ----------------------------------------------------------------------------- import
async def full_import(path: Path, url: str) -> tuple[float, dict[str, Any]]:
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        data = await asyncio.to_thread(path.read_bytes)
        async with transaction(make_sessionmaker(engine)) as session:
            report = await import_directory(data, session=session, user=None, clock=SystemClock())
        elapsed = time.perf_counter() - started
    finally:
        await engine.dispose()
    if not report.ok:
        raise SystemExit(f"import refused: {report.problems[:5]}")
    return elapsed, report.model_dump()


async def fresh_database(admin: asyncpg.Connection) -> tuple[str, str]:
    name = f"duban_bench_import_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = make_url(PG_ADMIN_DSN.replace("postgresql://", "postgresql+asyncpg://", 1))
    url = base.set(database=name).render_as_string(hide_password=False)
    return name, url


async def main() -> None:
    # The audit rows' HMAC key, as the app installs it (a bench secret, not a deployment's).
    audit_keys.install(audit_keys.Keyring("bench", {"bench": b"bench-import-audit-key-0123456789"}))
    rows = county()
    total = sum(len(r) for r in rows.values())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "county.xlsx"
        started = time.perf_counter()
        path.write_bytes(write_workbook(rows))
        print(
            f"file: {total} rows, {path.stat().st_size // 1024} KiB, "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        names: list[str] = []
        floors: list[float] = []
        imports: list[float] = []
        agains: list[float] = []
        floor_cpu: list[float] = []
        import_cpu: list[float] = []
        try:
            floor_name, floor_url = await fresh_database(admin)
            names.append(floor_name)
            floor_dsn = make_url(floor_url).set(drivername="postgresql")
            dsn = floor_dsn.render_as_string(hide_password=False)
            for rep in range(REPS):
                name, url = await fresh_database(admin)  # set up before either is timed
                names.append(name)
                await upgrade_async(url, MIGRATIONS_DIR)
                cpu_started = cpu()
                floors.append(await floor(path, dsn))
                floor_cpu.append(cpu() - cpu_started)
                cpu_started = cpu()
                import_s, report = await full_import(path, url)
                import_cpu.append(cpu() - cpu_started)
                imports.append(import_s)
                again_s, again = await full_import(path, url)
                agains.append(again_s)
                print(
                    f"run {rep + 1}: floor {floors[-1]:.2f} s, import {import_s:.2f} s "
                    f"({report['events']} events), re-import {again_s:.2f} s "
                    f"({again['events']} events), load {os.getloadavg()[0]:.1f}"
                )
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            for each in names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{each}" WITH (FORCE)')
            await admin.close()
    floor_s, import_s = statistics.median(floors), statistics.median(imports)
    print(
        f"floor (streaming read + bare COPY), median: {floor_s:.2f} s, {total / floor_s:.0f} rows/s"
    )
    print(f"import, median: {import_s:.2f} s; re-import: {statistics.median(agains):.2f} s")
    print(
        f"client CPU, median: floor {statistics.median(floor_cpu):.2f} s, "
        f"import {statistics.median(import_cpu):.2f} s"
    )
    print(f"RESULT import_rows_per_s={total / import_s:.0f} ratio={floor_s / import_s:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
