"""Helpers of bench/timers.py: the APScheduler 3 baseline, database backends' CPU time."""

from __future__ import annotations

import asyncio
import os
import pickle
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg


def say(text: str) -> None:
    print(text, flush=True)


async def backend_pids(conn: asyncpg.Connection) -> list[int]:
    """The other backends of this database: the scheduler's pooled connections."""
    return [
        r[0]
        for r in await conn.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ]


def backends_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the backends used so far; 0 if the server is not local.

    Unlike wall time, CPU time hardly depends on what else the shared machine runs.
    """
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- APScheduler 3 baseline
_aps_count = 0
_aps_target = 0
_aps_lock = threading.Lock()
_aps_done = threading.Event()


def aps_job() -> None:
    global _aps_count
    with _aps_lock:
        _aps_count += 1
        if _aps_count >= _aps_target:
            _aps_done.set()


async def measure_apscheduler(
    url: str, conn: asyncpg.Connection, *, jobs: int, due: int, runs: int
) -> float:
    """Best of `runs` runs, as for our bursts: each from a freshly loaded job table."""
    rates = [await apscheduler_run(url, conn, jobs=jobs, due=due) for _ in range(runs)]
    say(
        f"apscheduler: best of {runs}: {max(rates):,.0f} jobs/s "
        f"(all: {', '.join(f'{r:,.0f}' for r in rates)})"
    )
    return max(rates)


async def apscheduler_run(url: str, conn: asyncpg.Connection, *, jobs: int, due: int) -> float:
    """Load `jobs` date jobs, `due` of them due, and time how long APScheduler takes to run
    those."""
    global _aps_count, _aps_target
    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    with _aps_lock:
        _aps_count, _aps_target = 0, due
        _aps_done.clear()
    sync_url = url.replace("postgresql+asyncpg://", "postgresql+psycopg://")
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=sync_url)}, timezone=UTC
    )
    scheduler.start(paused=True)  # creates apscheduler_jobs
    await conn.execute("TRUNCATE apscheduler_jobs")
    now = datetime.now(UTC)
    template = Job(
        scheduler,
        id="template",
        func=aps_job,
        trigger=DateTrigger(now, timezone=UTC),
        executor="default",
        args=(),
        kwargs={},
        name="step",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        next_run_time=now,
    ).__getstate__()
    t0 = time.perf_counter()
    records = []
    for i in range(jobs):
        at = now - timedelta(seconds=1) if i < due else now + timedelta(days=1 + i % 60)
        state = {
            **template,
            "id": f"job-{i}",
            "trigger": DateTrigger(at, timezone=UTC),
            "next_run_time": at,
        }
        records.append((f"job-{i}", at.timestamp(), pickle.dumps(state, pickle.HIGHEST_PROTOCOL)))
    await conn.copy_records_to_table(
        "apscheduler_jobs", records=records, columns=("id", "next_run_time", "job_state")
    )
    await conn.execute("VACUUM ANALYZE apscheduler_jobs")
    say(f"apscheduler: {jobs:,} jobs loaded in {time.perf_counter() - t0:.1f}s")
    t1 = time.perf_counter()
    scheduler.resume()
    finished = await asyncio.to_thread(_aps_done.wait, 300)
    elapsed = time.perf_counter() - t1
    scheduler.shutdown(wait=False)
    assert finished, f"apscheduler ran only {_aps_count} jobs in 300 s"
    say(f"apscheduler: {due:,} due jobs ran in {elapsed:.2f}s = {due / elapsed:,.0f} jobs/s")
    return due / elapsed
