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
compared. Beside the wall and client CPU times it prints the database server's CPU time of each
(read from /proc when the server runs on this machine): the import's statements all run, one
after another, in one server process, so that figure bounds the import's wall time from below
whatever the client does. Ends with `RESULT import_rows_per_s=<n> ratio=<x>` (ratio: import
throughput / the floor's, i.e. floor time / import time). Sizes: BENCH_IMPORT_PEOPLE,
BENCH_IMPORT_UNITS, BENCH_IMPORT_ENTERPRISES.
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
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

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


def server_cpu(pid: int) -> float | None:
    """CPU time so far of the database server process serving one connection (`pid`: its
    `pg_backend_pid()`), from /proc: None when the server is not on this machine. Every
    statement of one connection runs in that one process, so this is the database's own
    share of the work, which no client-side change can take away."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerClock:
    """The server CPU spent by one connection between `start` and `stop` (None: unknown)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.started = server_cpu(pid)
        self.spent: float | None = None

    def stop(self) -> None:
        now = server_cpu(self.pid)
        if self.started is not None and now is not None:
            self.spent = now - self.started


async def floor(path: Path, dsn: str) -> tuple[float, float | None]:
    """Wall time, and the database server's CPU time."""
    conn = await asyncpg.connect(dsn)
    try:
        for sheet in SHEETS:
            columns = ", ".join(f"c{i} text" for i in range(len(sheet.columns)))
            await conn.execute(f"DROP TABLE IF EXISTS floor_{sheet.key}")
            await conn.execute(f"CREATE TABLE floor_{sheet.key} ({columns})")
        server = ServerClock(await conn.fetchval("SELECT pg_backend_pid()"))
        started = time.perf_counter()
        data = await asyncio.to_thread(read_streaming, path)
        async with conn.transaction():
            for sheet in SHEETS:
                width = len(sheet.columns)
                records = [(r + [""] * width)[:width] for r in data[sheet.key]]
                await conn.copy_records_to_table(f"floor_{sheet.key}", records=records)
        elapsed = time.perf_counter() - started
        server.stop()
        return elapsed, server.spent
    finally:
        await conn.close()


# ----------------------------------------------------------------------------- import
async def full_import(path: Path, url: str) -> tuple[float, float | None, dict[str, Any]]:
    """Wall time, the database server's CPU time, the import's report."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:  # the pooled connection the import will use
            server = ServerClock(await conn.scalar(text("SELECT pg_backend_pid()")))
        started = time.perf_counter()
        data = await asyncio.to_thread(path.read_bytes)
        async with transaction(make_sessionmaker(engine)) as session:
            report = await import_directory(data, session=session, user=None, clock=SystemClock())
        elapsed = time.perf_counter() - started
        server.stop()
        pool = engine.pool
        if not isinstance(pool, QueuePool) or pool.checkedin() != 1:  # another connection too
            server.spent = None
    finally:
        await engine.dispose()
    if not report.ok:
        raise SystemExit(f"import refused: {report.problems[:5]}")
    return elapsed, server.spent, report.model_dump()


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
        floor_server: list[float | None] = []
        import_server: list[float | None] = []
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
                floor_s, server_s = await floor(path, dsn)
                floors.append(floor_s)
                floor_server.append(server_s)
                floor_cpu.append(cpu() - cpu_started)
                cpu_started = cpu()
                import_s, server_s, report = await full_import(path, url)
                import_cpu.append(cpu() - cpu_started)
                import_server.append(server_s)
                imports.append(import_s)
                again_s, _, again = await full_import(path, url)
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
    if None not in floor_server and None not in import_server:
        # The import cannot take less wall time than its one server process works (each
        # connection's statements run one after another there), whatever the client does.
        import_server_s = statistics.median(x for x in import_server if x is not None)
        print(
            f"database server CPU, median: floor "
            f"{statistics.median(x for x in floor_server if x is not None):.2f} s, "
            f"import {import_server_s:.2f} s (= {import_server_s / floor_s:.2f}x the floor's "
            f"whole wall time; the goal ratio of 0.5 allows the import 2x)"
        )
    else:
        print("database server CPU: unknown (the server is not on this machine)")
    print(f"RESULT import_rows_per_s={total / import_s:.0f} ratio={floor_s / import_s:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
