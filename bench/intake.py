"""Intake throughput: POST /hazards against a bare one-INSERT endpoint, same server, one run.

Both endpoints live in the same app (hazard_api's `create_app`, plus one bench route), served by
`uvicorn --workers 2` on PostgreSQL with the same engine and session dependency. POST /hazards
does what production intake does: JWT auth (the users row), pydantic validation, the unit and
its supervising departments, the hazard row, its first audit-chain row and the outbox event, in
one transaction. The baseline does one SQLAlchemy INSERT and a commit.

The load generator shares the machine's two cores with the server, so it is a minimal
keep-alive HTTP/1.1 client (a fixed request, read to Content-Length): a general-purpose client
would spend more CPU per request than the endpoints measured and flatten the ratio. Rounds
alternate baseline and intake so background noise falls on both; within a round both run over the
same client connections (see `measure`). Bounded in time; 127.0.0.1 only.

    .venv/bin/python bench/intake.py        # needs PostgreSQL (DUBAN_TEST_PG_DSN)
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Column, MetaData, String, Table, insert, select

from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.main import create_app
from shared.db import UTCDateTime

ROOT = Path(__file__).resolve().parent.parent
PG_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
WORKERS = 2
SECRET = "bench-intake-secret-not-for-production-0123456789"

baseline_metadata = MetaData()
BASELINE = Table(
    "bench_baseline",
    baseline_metadata,
    Column("id", String(36), primary_key=True),
    Column("body", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


def create_bench_app() -> FastAPI:
    """uvicorn factory: hazard_api as configured by the environment, plus the baseline route."""
    app = create_app()

    @app.post("/bench/baseline", status_code=201, include_in_schema=False)
    async def baseline(session: SessionDep, clock: ClockDep) -> dict[str, bool]:
        await session.execute(
            insert(BASELINE).values(id=str(uuid.uuid4()), body="baseline", created_at=clock.now())
        )
        await session.commit()
        return {"ok": True}

    return app


# ---------------------------------------------------------------- setup
async def prepare() -> tuple[str, str, str]:
    """A fresh database, migrated and seeded; returns (url, database name, a bearer token)."""
    import asyncpg

    from services.hazard_api.auth.models import User
    from services.hazard_api.auth.service import issue_token
    from services.hazard_api.db import MIGRATIONS_DIR
    from services.hazard_api.directory.seed import seed_demo
    from shared.clock import SystemClock
    from shared.db import make_engine, make_sessionmaker, transaction
    from shared.migrations import upgrade_async

    name = f"duban_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    await upgrade_async(url, MIGRATIONS_DIR)
    engine = make_engine(url)
    clock = SystemClock()
    try:
        async with engine.begin() as c:
            await c.run_sync(baseline_metadata.create_all)
        async with transaction(make_sessionmaker(engine)) as session:
            await seed_demo(session=session, clock=clock)
        async with make_sessionmaker(engine)() as session:
            user = await session.scalar(select(User).where(User.username == "hongxing"))
            assert user is not None
            token = issue_token(user, [], secret_key=SECRET, clock=clock, minutes=120)
    finally:
        await engine.dispose()
    return url, name, token


async def drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DUBAN_ENV": "production",
        "HAZARD_API_DATABASE_URL": url,
        "HAZARD_API_SECRET_KEY": SECRET,
        "HAZARD_API_OUTBOX_RELAY": "false",
        "HAZARD_API_TIMELINE_CONSUMER": "false",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "intake:create_bench_app",
        "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT)


# ---------------------------------------------------------------- load
def request_bytes(path: str, body: dict[str, Any] | None, token: str | None, port: int) -> bytes:
    payload = json.dumps(body or {}, ensure_ascii=False).encode()
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


async def _drive(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: bytes,
    until: float,
    expect: int,
) -> tuple[int, int]:
    done = failed = 0
    while time.perf_counter() < until:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length)
        if status == expect:
            done += 1
        else:
            failed += 1
            if failed == 1:  # the first refusal says why
                print(f"unexpected {status}: {body[:300].decode(errors='replace')}", flush=True)
    return done, failed


async def measure(
    port: int, requests: list[bytes], seconds: float, expect: int
) -> list[tuple[float, int]]:
    """Each request in turn for `seconds`, over the same CONCURRENCY keep-alive connections.

    The same connections for every kind: the uvicorn workers share one listening socket and
    the kernel hands new connections out unevenly (16 to one worker and none to the other, or
    15/1, 12/4...), which changes the throughput of a round by up to half. Fresh connections
    per kind would give each kind a different split; these give both the same one.
    """
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CONCURRENCY)]
    results = []
    try:
        for request in requests:
            start = time.perf_counter()
            counts = await asyncio.gather(
                *(_drive(r, w, request, start + seconds, expect) for r, w in connections)
            )
            elapsed = time.perf_counter() - start
            results.append((sum(c[0] for c in counts) / elapsed, sum(c[1] for c in counts)))
    finally:
        for _reader, writer in connections:
            writer.close()
    return results


async def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError("bench server exited")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            writer.close()
            if head.startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("bench server did not start")


async def main() -> None:
    from shared.broker import free_port

    url, name, token = await prepare()
    port = free_port()
    proc = start_server(url, port)
    try:
        await wait_ready(port, proc)
        hazard = {
            "location": "二号库房东侧",
            "description": "库房内存放药量超过核定药量",
            "source": "self_check",
            "found_at": "2026-03-05T02:00:00Z",
        }
        intake = request_bytes("/hazards", hazard, token, port)
        baseline = request_bytes("/bench/baseline", None, None, port)
        # Warm both paths (pools, caches, JIT-less Python imports).
        await measure(port, [baseline, intake], 1.0, 201)
        totals = {"baseline": 0.0, "intake": 0.0}
        for i in range(ROUNDS):
            kinds = ("baseline", "intake")
            # Alternating order, so neither kind always runs first on a round's connections.
            order = kinds if i % 2 == 0 else kinds[::-1]
            requests = [baseline if kind == "baseline" else intake for kind in order]
            for kind, (rps, failed) in zip(
                order, await measure(port, requests, SECONDS, 201), strict=True
            ):
                if failed:
                    raise RuntimeError(f"{kind}: {failed} requests did not answer 201")
                totals[kind] += rps
                print(f"round {i + 1} {kind:8s} {rps:8.1f} req/s")
        intake_rps = totals["intake"] / ROUNDS
        baseline_rps = totals["baseline"] / ROUNDS
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        await drop(name)
    print(
        f"RESULT intake_ratio={intake_rps / baseline_rps:.3f} "
        f"intake_rps={intake_rps:.0f} baseline_rps={baseline_rps:.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
