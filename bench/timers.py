"""Durable timers at scale: the escalation scheduler at 10k and 1M open cases vs APScheduler 3.

    .venv/bin/python bench/timers.py            (needs PostgreSQL; DUBAN_TEST_PG_DSN)

At each size the same 10,000 cases are fired several times:
- burst (best of 3): all 10,000 steps already due; `run_due()` drains them → cost, steps/s;
- paced: the same cases re-armed to fall due at a steady rate (`PACED_RATE`/s) while the
  scheduler loop runs → lateness (commit time − due time).
Then APScheduler 3 (SQLAlchemyJobStore on the same PostgreSQL database, psycopg) holds 100,000
date jobs, 10,000 of them due; the time to run those 10,000 (best of 3 freshly loaded runs,
like our bursts) is its baseline. Its jobs only count in memory while each of our steps
writes an event to the outbox: the ratio is conservative.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _cases import DUE, Loader, copy_rows
from _timers import backend_pids, backends_cpu, measure_apscheduler

from services.escalation.cases.timeline import Anchors, Planner, next_fire_at
from services.escalation.config import Settings
from services.escalation.policy.loader import PolicySet
from services.escalation.runtime import build_runtime
from shared.calendar import default_calendar
from shared.clock import SystemClock

ADMIN_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
SIZES = (10_000, 1_000_000)
APS_JOBS = 100_000
PACED_RATE = 1_000  # steps falling due per second in the paced run
BURSTS = 3
BATCH = 1_000
# The v1 general ladder (see the file): the benchmark arms overdue notices at any hour.
BENCH_POLICIES = Path(__file__).resolve().parent / "policies"
VACUUM = "VACUUM ANALYZE cases, case_timers"


def say(text: str) -> None:
    print(text, flush=True)


async def rearm(
    conn: asyncpg.Connection,
    loader: Loader,
    tag: str,
    start: datetime,
    spacing: timedelta,
    *,
    vacuum: bool = True,
) -> None:
    """Re-arm the DUE cases: their overdue notices fall due from `start`, `spacing` apart."""
    ids, deadlines, cursors = [], [], []
    for i in range(DUE):
        deadline = start + i * spacing
        ids.append(f"{tag}-{i}")
        deadlines.append(deadline)
        cursors.append(loader.cursor_of_overdue(deadline))
    await conn.execute(
        """
        WITH c AS (
            UPDATE cases AS c SET deadline_at = v.deadline
            FROM unnest($1::varchar[], $2::timestamptz[], $3::int[])
                AS v(hazard_id, deadline, cursor)
            WHERE c.hazard_id = v.hazard_id
            RETURNING c.id, v.deadline, v.cursor
        )
        UPDATE case_timers AS t SET due_at = c.deadline, cursor = c.cursor, fence = t.fence + 1
        FROM c WHERE t.case_id = c.id
        """,
        ids,
        deadlines,
        cursors,
    )
    if vacuum:
        await conn.execute(VACUUM)


async def measure_size(
    url: str, size: int, loader: Loader, conn: asyncpg.Connection
) -> dict[str, float]:
    tag = f"due{size}"
    already = await conn.fetchval("SELECT count(*) FROM cases")
    t0 = time.perf_counter()
    await copy_rows(conn, loader.due_rows(tag))
    idle = size - DUE - already
    for start in range(0, idle, 200_000):
        await copy_rows(conn, loader.idle_rows(f"idle{size}-{start}", min(200_000, idle - start)))
    await conn.execute(VACUUM)
    # Write the load out now, at both sizes: otherwise the checkpoint the 1M load's WAL
    # triggers runs during the bursts, and their commits wait behind its writes.
    await conn.execute("CHECKPOINT")
    total = await conn.fetchval("SELECT count(*) FROM cases")
    say(f"size {total:,}: loaded in {time.perf_counter() - t0:.1f}s")

    settings = Settings(
        env="test",
        secret_key="bench-secret",
        database_url=url,
        scheduler_batch_size=BATCH,
        policies_dir=BENCH_POLICIES,
    )
    policies = PolicySet.load(settings.policies_dir)
    runtime = await build_runtime(settings, SystemClock(), policies)
    runtime.scheduler.keep_lateness = True
    try:
        async with runtime.engine.connect() as warm:  # open the pool's first connection
            await warm.execute(text("SELECT 1"))
        bursts: list[float] = []
        cpu: list[float] = []  # this process only: the machine is shared, wall time is noisy
        db_cpu: list[float] = []  # the database backends serving it (local server only)
        for _ in range(BURSTS):
            past = datetime.now(UTC) - timedelta(seconds=60)
            await rearm(conn, loader, tag, past, timedelta(microseconds=50))
            backends = await backend_pids(conn)
            t1, cpu1, db1 = time.perf_counter(), time.process_time(), backends_cpu(backends)
            fired = await runtime.scheduler.run_due()
            bursts.append(time.perf_counter() - t1)
            cpu.append(time.process_time() - cpu1)
            db_cpu.append(backends_cpu(backends) - db1)
            assert fired == DUE, f"burst fired {fired}, expected {DUE}"
        burst = min(bursts)
        say(
            f"size {total:,}: burst of {DUE:,} due steps, best of {BURSTS}: {burst:.2f}s "
            f"= {DUE / burst:,.0f} steps/s (all: {', '.join(f'{b:.2f}s' for b in bursts)}; "
            f"scheduler CPU: {', '.join(f'{c:.2f}s' for c in cpu)}; "
            f"database CPU: {', '.join(f'{c:.2f}s' for c in db_cpu)})"
        )

        await conn.execute(VACUUM)
        soon = datetime.now(UTC) + timedelta(seconds=2)
        await rearm(conn, loader, tag, soon, timedelta(seconds=1 / PACED_RATE), vacuum=False)
        runtime.scheduler.lateness.clear()
        before = runtime.scheduler.fired
        await runtime.scheduler.start()
        while runtime.scheduler.fired - before < DUE:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await runtime.scheduler.stop()
        lateness = sorted(runtime.scheduler.lateness)
        p99 = lateness[int(len(lateness) * 0.99) - 1]
        say(
            f"size {total:,}: paced {len(lateness):,} steps at {PACED_RATE}/s: lateness "
            f"p50={statistics.median(lateness):.3f}s p99={p99:.3f}s max={lateness[-1]:.3f}s"
        )
        plan = await conn.fetch(
            "EXPLAIN SELECT case_id FROM case_timers WHERE due_at <= now() ORDER BY due_at "
            "LIMIT 1000 FOR UPDATE SKIP LOCKED"
        )
        say("  plan: " + " / ".join(r[0].strip() for r in plan[:3]))
    finally:
        await runtime.engine.dispose()
    best_cpu = min(c + d for c, d in zip(cpu, db_cpu, strict=True))
    return {"burst_s": burst, "steps_per_s": DUE / burst, "p99": p99, "cpu_s": best_cpu}


def measure_planning(snapshot_id: int, steps: Any, now: datetime) -> None:
    """Next fire times of a million cases: memoised per distinct deadline, so cheap."""
    planner = Planner(default_calendar())
    planner.register(snapshot_id, steps)
    classified = now - timedelta(days=30)
    deadlines = [
        (now + timedelta(days=d)).replace(hour=15, minute=59, second=59, microsecond=999999)
        for d in range(1, 2_001)
    ]
    t0 = time.perf_counter()
    for i in range(1_000_000):
        timeline = planner.timeline(
            snapshot_id, Anchors(deadlines[i % 2_000], classified), paused=False, listed=False
        )
        next_fire_at(timeline, i % 3)
    elapsed = time.perf_counter() - t0
    say(
        f"planning: next fire times of 1,000,000 cases (2,000 distinct deadlines) in {elapsed:.2f}s"
    )


async def main() -> None:
    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_DSN.rsplit("/", 1)[0]
    url = base.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        settings = Settings(
            env="test", secret_key="bench-secret", database_url=url, policies_dir=BENCH_POLICIES
        )
        runtime = await build_runtime(
            settings, SystemClock(), PolicySet.load(settings.policies_dir)
        )
        snapshot_id = runtime.snapshot_ids["county-general"]
        loader = Loader(runtime.planner, snapshot_id, datetime.now(UTC))
        measure_planning(snapshot_id, runtime.planner.steps(snapshot_id), loader.now)
        await runtime.engine.dispose()
        conn = await asyncpg.connect(f"{base}/{name}")
        try:
            results = {size: await measure_size(url, size, loader, conn) for size in SIZES}
            aps_rate = await measure_apscheduler(url, conn, jobs=APS_JOBS, due=DUE, runs=BURSTS)
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    small, large = results[SIZES[0]], results[SIZES[-1]]
    ratio = large["burst_s"] / small["burst_s"]
    p99 = max(small["p99"], large["p99"])
    say(
        f"cpu: scheduler + database CPU per burst (best of {BURSTS}): "
        f"{small['cpu_s']:.2f}s at {SIZES[0]:,}, {large['cpu_s']:.2f}s at {SIZES[-1]:,} "
        f"= cost ratio {large['cpu_s'] / small['cpu_s']:.2f} by CPU time"
    )
    say(
        f"RESULT cost_ratio_1m_vs_10k={ratio:.2f} steps_per_s={large['steps_per_s']:.0f} "
        f"lateness_p99_s={p99:.3f} apscheduler_ratio={large['steps_per_s'] / aps_rate:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
