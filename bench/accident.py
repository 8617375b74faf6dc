"""An accident's quick report → the first text of its county chain at the SMS provider.

The whole stack runs as `duban run` starts it (three uvicorn processes) on PostgreSQL (fresh
databases; SQLite files if PostgreSQL is unreachable), a tansu broker and the Aliyun emulator in
a process of its own. The bench reports one accident a second (POST /accidents, open loop) and
measures from the start of that request to the first text naming the accident at the emulator
(hazard_api → accident.events → escalation's immediate step → escalation.events →
notification → provider). Beside it, in the same run and on the same broker, two raw aiokafka
produce→consume hops at the same rate: the floor under any chain of two events.

    RESULT accident_p99_ms=<x> broker_2hop_p99_ms=<x> ratio=<x>

(ratio = accident p99 / two-hop p99; goal ≤ 3). Environment: BENCH_SECONDS (default 30).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _hops import broker_two_hops  # noqa: E402
from _rig import databases, sms_emulator, texts  # noqa: E402
from e2e import ENTERPRISES, PASSWORD, quantiles  # noqa: E402

from shared.broker import EmbeddedBroker  # noqa: E402
from tests.e2e.harness import aliyun_provider, providers_env  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
RATE = 1.0  # accidents per second


def report(unit_id: str, i: int) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "channel": "enterprise",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        "place": f"基准测试第{i}号事故现场",
        "accident_type": "other",
        "account": "基准测试：事故简要经过",
        "reporter_name": "基准测试",
        "reporter_phone": "13800009999",
        "deaths": 0,
        "missing": 0,
        "serious_injuries": 1,
        "direct_loss_yuan": 10_000,
    }


async def stages(urls: dict[str, str], ids: dict[str, float]) -> str:
    """Median ms after the POST started, per stage, from the outboxes (PostgreSQL runs only):
    hazard_api committed, its relay got the broker's ack, escalation handled the event, its
    relay got the ack."""
    if not urls:
        return "(SQLite run: no stage times)"
    found: dict[str, list[float]] = {}
    for service, prefix in (("HAZARD_API", "hazard_api"), ("ESCALATION", "escalation")):
        dsn = urls[f"{service}_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT key, min(created_at) AS c, min(sent_at) AS s FROM outbox "
                "WHERE key = any($1::text[]) AND topic <> 'org.events' GROUP BY key",
                list(ids),
            )
        finally:
            await conn.close()
        for r in rows:
            t = ids[r["key"]]
            found.setdefault(f"{prefix} committed", []).append((r["c"].timestamp() - t) * 1000)
            if r["s"] is not None:
                found.setdefault(f"{prefix} relayed", []).append((r["s"].timestamp() - t) * 1000)
    await notification_stages(urls["NOTIFICATION_DATABASE_URL"], ids, found)
    return ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in found.items())


# Per accident, the first moment of each notification stage: the step received (consumer), its
# notices written (resolved), a dispatch formed (bundled), a provider attempt started (the
# transaction that claimed it: the preparation pass claims, so the same as bundled) and its
# round's answers recorded (once all of the round's calls, emails too, came back). Each is the
# clock reading at the start of its transaction, not its commit.
NOTIFICATION_STAGES = (
    ("notification received", "SELECT hazard_id AS k, min(received_at) AS t FROM requests "
     "WHERE hazard_id = any($1::text[]) GROUP BY hazard_id"),
    ("notification resolved", "SELECT hazard_id AS k, min(created_at) AS t FROM notices "
     "WHERE hazard_id = any($1::text[]) GROUP BY hazard_id"),
    ("notification bundled", "SELECT h AS k, min(d.created_at) AS t FROM dispatches d, "
     "json_array_elements_text(d.hazard_ids::json) h WHERE h = any($1::text[]) GROUP BY h"),
    ("provider called", "SELECT h AS k, min(a.started_at) AS t FROM delivery_attempts a "
     "JOIN deliveries v ON v.id = a.delivery_id JOIN dispatches d ON d.id = v.dispatch_id, "
     "json_array_elements_text(d.hazard_ids::json) h WHERE h = any($1::text[]) GROUP BY h"),
    ("round recorded", "SELECT h AS k, min(a.finished_at) AS t "
     "FROM delivery_attempts a JOIN deliveries v ON v.id = a.delivery_id "
     "JOIN dispatches d ON d.id = v.dispatch_id, json_array_elements_text(d.hazard_ids::json) h "
     "WHERE h = any($1::text[]) AND a.channel = 'sms' GROUP BY h"),
)  # fmt: skip


async def notification_stages(
    url: str, ids: dict[str, float], found: dict[str, list[float]]
) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for name, query in NOTIFICATION_STAGES:
            for r in await conn.fetch(query, list(ids)):
                found.setdefault(name, []).append((r["t"].timestamp() - ids[r["k"]]) * 1000)
    finally:
        await conn.close()


async def run(stack: Stack, sms_url: str, count: int, urls: dict[str, str]) -> list[float]:
    async with httpx.AsyncClient(timeout=60) as client:
        base = stack.url("hazard_api")
        r = await client.post(
            base + "/auth/token", data={"username": "office", "password": PASSWORD}
        )
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        started: dict[str, float] = {}
        answered: list[float] = []  # the POST's own time (ms)
        by_id: dict[str, float] = {}
        errors: list[str] = []

        async def one(i: int) -> None:
            t = time.time()
            unit = ENTERPRISES[i % len(ENTERPRISES)]
            resp = await client.post(base + "/accidents", headers=headers, json=report(unit, i))
            if resp.status_code != 201:
                errors.append(f"{resp.status_code} {resp.text[:200]}")
                return
            started[resp.json()["code"]] = t
            by_id[resp.json()["id"]] = t
            answered.append((time.time() - t) * 1000)

        async def wave(n: int) -> None:
            tasks = []
            start = time.perf_counter()
            for i in range(n):
                delay = start + i / RATE - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(i)))
            await asyncio.gather(*tasks)

        async def first_texts(within_s: float) -> dict[str, float]:
            deadline = time.monotonic() + within_s
            while True:
                first: dict[str, float] = {}
                for sms in await texts(client, sms_url):
                    code = sms.params.get("code")
                    if code in started and (code not in first or sms.at < first[code]):
                        first[code] = sms.at
                if len(first) >= len(started) or time.monotonic() > deadline:
                    return first
                await asyncio.sleep(0.5)

        await wave(3)  # warm-up: every consumer joined, every path exercised once
        await first_texts(120)
        started.clear()
        answered.clear()
        by_id.clear()
        await wave(count)
        if errors:
            print(f"  {len(errors)} failed reports, e.g. {errors[0]}", flush=True)
        first = await first_texts(120)
        if len(first) < len(started):
            print(f"  only {len(first)} of {len(started)} accidents texted", flush=True)
        p50, p99 = quantiles(answered)
        print(f"POST /accidents answered: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
        print(f"median ms after the POST: {await stages(urls, by_id)}", flush=True)
        return [(first[code] - t) * 1000 for code, t in started.items() if code in first]


async def main() -> None:
    count = int(RATE * SECONDS)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        async with databases() as urls, sms_emulator() as sms_url:
            provider = aliyun_provider(sms_url, daily_cap=1_000_000, same_content_interval_s=0)
            with EmbeddedBroker() as broker:
                env: dict[str, Any] = {
                    **urls,
                    "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                    "NOTIFICATION_SMS_PROVIDERS": providers_env(provider),
                }
                stack = Stack(Path(tmp) / "stack", extra_env=env)
                await stack.start(within_s=300)
                try:
                    latencies = await run(stack, sms_url, count, urls)
                finally:
                    code = await stack.stop()
                    if code != 0:
                        print(stack.output()[-5000:])
                hops = await broker_two_hops(broker.bootstrap_servers, RATE, count)
    a50, a99 = quantiles(latencies)
    h50, h99 = quantiles(hops)
    print(f"accident {len(latencies)} reports at {RATE:.0f}/s: p50 {a50:.1f} ms, p99 {a99:.1f} ms")
    print(f"2hop     {len(hops)} messages at {RATE:.0f}/s: p50 {h50:.1f} ms, p99 {h99:.1f} ms")
    print(
        f"RESULT accident_p99_ms={a99:.1f} broker_2hop_p99_ms={h99:.1f} ratio={a99 / h99:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
