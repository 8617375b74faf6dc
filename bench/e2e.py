"""End to end: a hazard event → escalation step that notifies at once → SMS at the provider.

The whole stack runs as `duban run` starts it (three uvicorn processes) on PostgreSQL (fresh
databases; SQLite files if PostgreSQL is unreachable) and a tansu broker. Escalation gets a
one-step policy: a general hazard notifies its enterprise principal, immediately (alone, no
digest window), the moment it is classified. The bench reports hazards (POST /hazards) and
classifies them (POST …/classify) at a fixed rate, open loop, and measures from the start of
the classify request — the hazard event that starts escalation — to the SMS arriving at the
Aliyun emulator. Beside it, in the
same run and on the same broker, two raw aiokafka produce→consume hops at the same rate: the
floor under any chain of two events through the broker.

    RESULT e2e_p50_ms=<x> e2e_p99_ms=<x> broker_2hop_p99_ms=<x> ratio=<x>

(figures of the 200 hazards/s run; ratio = e2e p99 / two-hop p99; goal ≤ 3).
Environment: BENCH_SECONDS (default 10) per rate, BENCH_RATES (default "50,200").
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _hops import broker_two_hops  # noqa: E402
from _rig import Text, databases, sms_emulator, texts  # noqa: E402

from shared.broker import EmbeddedBroker  # noqa: E402
from tests.e2e.harness import aliyun_provider, providers_env  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
RATES = [int(r) for r in os.environ.get("BENCH_RATES", "50,200").split(",")]
PASSWORD = "duban-demo-2026"
ENTERPRISES = [
    "ent-hongxing",
    "ent-jinlong",
    "ent-huayu",
    "ent-lantian",
    "ent-zhongshi",
    "ent-jiancheng",
    "ent-tongda",
    "ent-shifeng",
    "ent-hesha",
    "ent-ranqi",
    "ent-yehuaqi",
    "ent-chaoshi",
]
POLICY = """\
id: bench-immediate
version: 1
title: 基准测试：判定后立即通知企业主要负责人
match:
  levels: [general]
steps:
  - key: notify_now
    title: 判定后立即通知
    anchor: classified
    offset: 0
    unit: hours
    targets: [enterprise.principal]
    action: reminder
    urgency: immediate
"""


def quantiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[98]


# ----------------------------------------------------------------------------- e2e
class Load:
    def __init__(self, client: httpx.AsyncClient, base: str, headers: dict[str, str]) -> None:
        self.client = client
        self.base = base
        self.headers = headers
        self.errors: list[str] = []
        # principal's phone → [(classify start, hazard code)] in classification order
        self.pending: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.report_started: dict[str, float] = {}
        self.hazard_ids: list[tuple[str, float]] = []  # (hazard id, classify start)

    async def one(self, unit_id: str, phone: str) -> None:
        try:
            await self._one(unit_id, phone)
        except httpx.HTTPError as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")

    async def _one(self, unit_id: str, phone: str) -> None:
        t_report = time.time()
        r = await self.client.post(
            self.base + "/hazards",
            headers=self.headers,
            json={
                "unit_id": unit_id,
                "location": "基准测试点",
                "description": "基准测试：消防通道堆放杂物",
                "source": "self_check",
                "found_at": datetime.now(UTC).isoformat(),
            },
        )
        if r.status_code != 201:
            self.errors.append(f"report {r.status_code} {r.text[:200]}")
            return
        hazard = r.json()
        t_classify = time.time()
        r = await self.client.post(
            f"{self.base}/hazards/{hazard['id']}/classify",
            headers=self.headers,
            json={"level": "general"},
        )
        if r.status_code != 200:
            self.errors.append(f"classify {r.status_code} {r.text[:200]}")
            return
        code = str(hazard.get("code") or hazard["id"])
        self.pending[phone].append((t_classify, code))
        self.report_started[code] = t_report
        self.hazard_ids.append((hazard["id"], t_classify))

    async def run(self, rate: float, count: int, phones: dict[str, str]) -> float:
        tasks = []
        start = time.perf_counter()
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            unit = ENTERPRISES[i % len(ENTERPRISES)]
            tasks.append(asyncio.create_task(self.one(unit, phones[unit])))
        await asyncio.gather(*tasks)
        return count / (time.perf_counter() - start)


def attribute(
    accepted: list[Text], pending: dict[str, list[tuple[float, str]]]
) -> tuple[list[float], int]:
    """Latency (ms) per hazard: a single SMS names its hazard's code; a digest of k notices
    covers that phone's k oldest hazards not yet texted."""
    by_phone: dict[str, list[Text]] = defaultdict(list)
    for a in accepted:
        by_phone[a.phone].append(a)
    from_classify: list[float] = []
    texts = 0
    for phone, waiting in pending.items():
        queue = list(waiting)
        for sms in by_phone.get(phone, []):
            if not queue or sms.at < queue[0][0]:
                continue  # an earlier run's text
            texts += 1
            at = sms.at
            if sms.template == "SMS_900002":
                k = int(sms.params["count"])
                covered, queue = queue[:k], queue[k:]
            else:
                covered = [w for w in queue if w[1] == sms.params["code"]][:1]
                queue = [w for w in queue if w not in covered]
            from_classify.extend((at - t) * 1000 for t, _ in covered)
    return from_classify, texts


async def e2e(stack: Stack, sms_url: str) -> dict[int, dict[str, float]]:
    results: dict[int, dict[str, float]] = {}
    # Keep-alive shorter than uvicorn's 5 s, so no request goes out on a closing connection.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=3)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        base = stack.url("hazard_api")
        r = await client.post(
            base + "/auth/token", data={"username": "office", "password": PASSWORD}
        )
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        phones: dict[str, str] = {}
        for unit in ENTERPRISES:
            chain = (await client.get(f"{base}/units/{unit}/chain", headers=headers)).json()
            phones[unit] = next(
                link["mobile"] for link in chain["links"] if link["role"] == "enterprise.principal"
            )
        # Warm-up: every consumer joined, every path exercised once.
        warm = Load(client, base, headers)
        await warm.run(5, len(ENTERPRISES), phones)
        await wait_for_notified(client, sms_url, warm.pending, len(ENTERPRISES), 120)
        for rate in RATES:
            load = Load(client, base, headers)
            count = int(rate * SECONDS)
            achieved = await load.run(rate, count, phones)
            if load.errors:
                print(f"  {len(load.errors)} failed requests, e.g. {load.errors[0]}", flush=True)
            expected = count - len(load.errors)
            await wait_for_notified(client, sms_url, load.pending, expected, 180)
            latencies, sent = attribute(await texts(client, sms_url), load.pending)
            p50, p99 = quantiles(latencies)
            results[rate] = {"p50": p50, "p99": p99, "achieved": achieved}
            print(
                f"e2e  {rate:>4}/s (achieved {achieved:.0f}/s): {len(latencies)} hazards, "
                f"{sent} texts; classify→SMS p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                flush=True,
            )
            print(f"      median ms after classify: {await stages(client, base, headers, load)}")
    return results


async def wait_for_notified(
    client: httpx.AsyncClient,
    sms_url: str,
    pending: dict[str, list[tuple[float, str]]],
    expected: int,
    within_s: float,
) -> None:
    deadline = time.monotonic() + within_s
    while True:
        notified = len(attribute(await texts(client, sms_url), pending)[0])
        if notified >= expected:
            return
        if time.monotonic() > deadline:
            print(f"  only {notified} of {expected} hazards texted after {within_s}s", flush=True)
            return
        await asyncio.sleep(0.5)


STAGES = (
    ("escalation_case", "case started"),
    ("escalation_step", "step fired"),
    ("notice", "SMS/email sent"),
)


async def stages(client: httpx.AsyncClient, base: str, headers: dict[str, str], load: Load) -> str:
    """Where the time goes, from a sample of hazards' timelines (median ms after classify)."""
    found: dict[str, list[float]] = defaultdict(list)
    for hazard_id, t_classify in load.hazard_ids[:: max(1, len(load.hazard_ids) // 20)]:
        r = await client.get(f"{base}/hazards/{hazard_id}/timeline", headers=headers)
        if r.status_code != 200:
            continue
        seen: set[str] = set()
        for item in r.json():
            kind = item["kind"]
            if kind in seen or kind not in dict(STAGES):
                continue
            seen.add(kind)
            at = datetime.fromisoformat(item["at"]).timestamp()
            found[kind].append((at - t_classify) * 1000)
    return ", ".join(
        f"{label} {statistics.median(found[kind]):.0f}" for kind, label in STAGES if found[kind]
    )


# ----------------------------------------------------------------------------- main
async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        policies = Path(tmp) / "policies"
        policies.mkdir()
        (policies / "bench-immediate.yaml").write_text(POLICY, encoding="utf-8")
        async with databases() as urls, sms_emulator() as sms_url:
            provider = aliyun_provider(sms_url, daily_cap=1_000_000, same_content_interval_s=0)
            with EmbeddedBroker() as broker:
                env: dict[str, Any] = {
                    **urls,
                    "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                    "ESCALATION_POLICIES_DIR": str(policies),
                    "NOTIFICATION_SMS_PROVIDERS": providers_env(provider),
                }
                stack = Stack(Path(tmp) / "stack", extra_env=env)
                await stack.start(within_s=120)
                try:
                    results = await e2e(stack, sms_url)
                finally:
                    code = await stack.stop()
                    if code != 0:
                        print(stack.output()[-5000:])
                baseline: dict[int, tuple[float, float]] = {}
                for rate in RATES:
                    lat = await broker_two_hops(broker.bootstrap_servers, rate, int(rate * SECONDS))
                    baseline[rate] = quantiles(lat)
                    print(
                        f"2hop {rate:>4}/s: {len(lat)} messages; "
                        f"p50 {baseline[rate][0]:.1f} ms, p99 {baseline[rate][1]:.1f} ms",
                        flush=True,
                    )
    for rate in RATES:
        print(
            f"rate {rate}/s: e2e p99 / 2-hop p99 = {results[rate]['p99'] / baseline[rate][1]:.1f}",
            flush=True,
        )
    top = max(RATES)
    ratio = results[top]["p99"] / baseline[top][1]
    print(
        f"RESULT e2e_p50_ms={results[top]['p50']:.1f} e2e_p99_ms={results[top]['p99']:.1f} "
        f"broker_2hop_p99_ms={baseline[top][1]:.1f} ratio={ratio:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
