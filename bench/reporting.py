"""Upward delivery throughput: the reporting service's delivery loop against bare httpx POSTs.

The provincial emulator runs in a process of its own (it checks every signature and schema).
1. push: 20,000 submissions (5,000 items × 4, so per-item order is in play), all in a
   PostgreSQL ledger from the start, sent by the delivery loop (claim, sign, send, record every
   attempt); baseline: the same bodies, signed, POSTed with a bare httpx client (a new client
   per turn) at the same concurrency. The two take turns a quarter at a time (the loop stops
   claiming after 5,000 requests, then the bare client sends the same 5,000 bodies …), so a
   change in the machine's load hits both alike; each side's rate is its total over its total
   time.
2. drain: the emulator answers 500 while a backlog of 20,000 builds and one round fails; then
   it recovers and the loop drains the backlog.

`python bench/reporting.py [--n 20000] [--items 5000]`; ends with
`RESULT push_per_s=<n> ratio=<x> drain_per_s=<n>` (ratio = push / bare; goal ≥ 0.8).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _rig import PG_ADMIN_DSN

from services.reporting.config import Settings
from services.reporting.db import MIGRATIONS_DIR
from services.reporting.exchange.documents import render
from services.reporting.ledger.service import NewSubmission, enqueue_many
from services.reporting.runtime import Runtime
from services.reporting.signing import signed_headers
from shared.broker import free_port, wait_for_port
from shared.clock import SystemClock
from shared.db import transaction
from shared.migrations import upgrade_async

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
CONCURRENCY = 64
SLICES = 4  # push and bare take turns, a quarter of the submissions each time


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[str]:
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    name = f"duban_bench_{uuid.uuid4().hex[:8]}_reporting"
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@contextlib.asynccontextmanager
async def emulator() -> AsyncIterator[str]:
    port = free_port()
    env = dict(os.environ, PROVINCE_EMULATOR_SECRETS=SECRET, PYTHONPATH=str(Path.cwd()))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "ops.province_emulator:app_from_env",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        "60",
        env=env,
    )
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        await proc.wait()


def document(i: int, item: int) -> bytes:
    return render(
        {
            "$schema": "/schemas/hazard-major/1",
            "document": "hazard-major",
            "version": 1,
            "sender": {"area_code": "430723", "name": "青山县安委办"},
            "item": {"kind": "hazard", "id": f"h-{item}", "code": None},
            "source_event_id": f"bench-{i}",
            "occurred_at": "2026-03-09T09:30:00+08:00",
            "data": {
                "event": "hazard.classified",
                "unit": {"name": "青山化工有限公司", "credit_code": None},
                "level": "major",
                "status": "classified",
                "description": f"第{i}号隐患：液氯储罐区未设置泄漏报警装置",
            },
        }
    )


async def fill(rt: Runtime, n: int, items: int, tag: str) -> None:
    rows = [
        NewSubmission(
            document="hazard-major",
            version=1,
            item_key=f"hazard:{tag}-{i % items}",
            source_key=f"{tag}-{i}",
            source={"bench": i},
            body=document(i, i % items),
        )
        for i in range(n)
    ]
    for start in range(0, n, 5000):
        async with transaction(rt.sessionmaker) as session:
            await enqueue_many(session, rows[start : start + 5000], now=rt.clock.now())


async def control(client: httpx.AsyncClient, base: str, **change: object) -> dict[str, object]:
    r = await client.post(f"{base}/_control", json=change)
    return dict(r.json())


async def bare(url: str, bodies: list[bytes], first: int) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    slots = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def post(i: int, body: bytes) -> None:
            async with slots:
                ts = int(time.time())
                headers = signed_headers([SECRET], f"msg_bare{i}", ts, body).as_dict()
                for _ in range(3):  # as any client would: a dropped connection is retried
                    try:
                        r = await client.post(url, content=body, headers=headers)
                        break
                    except httpx.TransportError:
                        continue
                assert r.status_code == 200, r.text

        started = time.perf_counter()
        await asyncio.gather(*(post(first + i, b) for i, b in enumerate(bodies)))
        return time.perf_counter() - started


async def main(n: int, items: int) -> None:
    async with database() as url, emulator() as base, httpx.AsyncClient() as client:
        hook = f"{base}/webhooks/duban"
        settings = Settings(
            env="test",
            secret_key="bench-" + uuid.uuid4().hex,
            database_url=url,
            province_url=hook,
            signing_secrets=[SECRET],
            run_consumer=False,
            run_relay=False,
            run_delivery=False,
            run_jobs=False,
            delivery_concurrency=CONCURRENCY,
            retry_base_s=1.0,
            retry_jitter=0.0,
            event_repair="off",
        )
        await upgrade_async(url, MIGRATIONS_DIR)
        rt = Runtime(settings, settings.make_engine(), SystemClock())
        await rt.start()
        try:
            await fill(rt, n, items, "push")  # the whole backlog is in the ledger from the start
            bodies = [document(i, i % items) for i in range(n)]
            push_s = bare_s = 0.0
            sent = 0
            step = -(-n // SLICES)
            for start in range(0, n, step):  # interleaved: the machine's load changes by the minute
                size = min(step, n - start)
                started = time.perf_counter()
                sent += await rt.deliverer.run_until_idle(max_rounds=100_000, max_requests=size)
                push_s += time.perf_counter() - started
                bare_s += await bare(hook, bodies[start : start + size], start)
            got = await control(client, base)
            assert sent == n and got["received"] == 2 * n, (sent, got)  # distinct ids each side
            await control(client, base, reset=True, mode="500")
            await fill(rt, n, items, "drain")
            failed = await rt.deliverer.run_once()  # the outage: a round answered 500
            await control(client, base, mode="ok")
            await asyncio.sleep(settings.retry_base_s * 1.5)
            started = time.perf_counter()
            drained = await rt.deliverer.run_until_idle(max_rounds=100_000)
            drain_s = time.perf_counter() - started
            got = await control(client, base)
            assert got["received"] == n, got
        finally:
            await rt.stop()
            await rt.engine.dispose()
    push, baseline, drain = n / push_s, n / bare_s, n / drain_s
    print(
        f"push: {n} in {push_s:.1f}s ({push:.0f}/s); bare httpx: {bare_s:.1f}s ({baseline:.0f}/s)"
    )
    print(f"drain: {drained} requests after {failed} failed, {n} delivered in {drain_s:.1f}s")
    print(f"RESULT push_per_s={push:.0f} ratio={push / baseline:.2f} drain_per_s={drain:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=5_000)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.items))
