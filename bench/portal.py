"""The 台账 at a million hazards: API and portal first page, API growth, streamed export.

Two fresh PostgreSQL databases, migrated, each holding the demo county plus a generated one
(BENCH_ENTERPRISES enterprises spread over the demo townships and industries, written with
COPY): one with BENCH_HAZARDS hazards (default 1,000,000), one with BENCH_SMALL (10,000), both
written with COPY (hazard indexes dropped during the load and rebuilt, then ANALYZE). hazard_api
runs as uvicorn (one worker) over each, the portal in front of the large one.

Measured, one request at a time after a warm-up, BENCH_REQUESTS each (p95):
- the first page of the 台账 filtered and sorted (`status=rectifying&level=general
  &sort=-found_at`, PAGE), as the county office: through the API at 10k and at 1M, and through
  the portal (the rendered page) at 1M; the three are called in turn, all servers up at once;
- for information: the same page as a township officer (scoped) at 1M, and the 工作台 counts
  (`GET /hazards/counts`) of that township at 10k and at 1M, the two called in turn;
- the export: `GET /hazards/export?format=csv` of one township's hazards at 1M, rows/s (and,
  for information, the same rows as `format=xlsx`).

    RESULT portal_vs_api_p95=<x> api_1m_vs_10k_p95=<x> export_rows_per_s=<n>

Goals: portal_vs_api_p95 ≤ 1.5; api_1m_vs_10k_p95 ≤ 2; export ≥ 20,000 rows/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _county import ENTERPRISES, SECRET, create_database, drop, fill, seed  # noqa: E402

from services.portal.session import COOKIE, PageSession, encode, new_csrf  # noqa: E402
from shared.broker import free_port, wait_for_port  # noqa: E402

LARGE = int(os.environ.get("BENCH_HAZARDS", "1000000"))
SMALL = int(os.environ.get("BENCH_SMALL", "10000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
PORTAL_SECRET = "bench-portal-cookie-secret-0123456789abcdef"
PAGE = {"status": "rectifying", "level": "general", "sort": "-found_at"}


def say(text: str) -> None:
    print(text, flush=True)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


# ------------------------------------------------------------------ servers
def start(module: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "--factory", module, "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(command, env=os.environ | env | {"PYTHONPATH": str(ROOT)}, cwd=ROOT)


@contextlib.asynccontextmanager
async def hazard_api(dsn: str) -> AsyncIterator[str]:
    port = free_port()
    env = {
        "DUBAN_ENV": "production",
        "HAZARD_API_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "HAZARD_API_SECRET_KEY": SECRET,
        "HAZARD_API_OUTBOX_RELAY": "false",
        "HAZARD_API_TIMELINE_CONSUMER": "false",
    }
    proc = start("services.hazard_api.main:create_app", env, port)
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.asynccontextmanager
async def portal(api_url: str) -> AsyncIterator[str]:
    port = free_port()
    env = {
        "DUBAN_ENV": "production",
        "PORTAL_SECRET_KEY": PORTAL_SECRET,
        # Both spellings: the portal reads the deployment-wide DUBAN_* addresses (later) or its
        # own PORTAL_* ones (earlier); escalation and notification are not running here.
        "PORTAL_HAZARD_API_URL": api_url,
        "PORTAL_ESCALATION_URL": "http://127.0.0.1:9",
        "PORTAL_NOTIFICATION_URL": "http://127.0.0.1:9",
        "DUBAN_HAZARD_API_URL": api_url,
        "DUBAN_ESCALATION_URL": "http://127.0.0.1:9",
        "DUBAN_NOTIFICATION_URL": "http://127.0.0.1:9",
    }
    proc = start("services.portal.main:create_app", env, port)
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def portal_cookie(token: str, username: str, role: str, unit_id: str) -> str:
    """The cookie the login form would set (the form itself is tested in tests/portal)."""
    session = PageSession(
        token=token,
        csrf=new_csrf(),
        username=username,
        role=role,
        unit_id=unit_id,
        last_seen=time.time() + 3600,  # not idle for the length of the run
    )
    return encode(session, PORTAL_SECRET)


# ------------------------------------------------------------------ measuring
async def timed(client: httpx.AsyncClient, url: str, **kw: Any) -> float:
    t0 = time.perf_counter()
    response = await client.get(url, **kw)
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return elapsed


async def api_page(base: str, token: str, params: dict[str, str]) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        first = (await client.get("/hazards", params=params)).json()
        say(f"  first page: {len(first['items'])} rows of total={first['total']}"
            f" (exact={first['total_exact']})")  # fmt: skip
        for _ in range(20):
            await timed(client, "/hazards", params=params)
        return [await timed(client, "/hazards", params=params) for _ in range(REQUESTS)]


async def main() -> None:
    names: list[str] = []
    try:
        say(f"generating: {SMALL} and {LARGE} hazards over {ENTERPRISES} enterprises (COPY)")
        small_name, small_dsn = await create_database("10k")
        large_name, large_dsn = await create_database("1m")
        names += [small_name, large_name]
        tokens_small = await seed(small_dsn)
        tokens = await seed(large_dsn)
        say(f"  {SMALL} hazards in {await fill(small_dsn, SMALL):.1f} s")
        say(f"  {LARGE} hazards in {await fill(large_dsn, LARGE):.1f} s")

        # Both APIs and the portal run at once and are called in turn, so a neighbour's load on
        # this shared machine falls on all three series alike.
        async with (
            hazard_api(small_dsn) as small_base,
            hazard_api(large_dsn) as base,
            portal(base) as web,
        ):
            say(f"first page {PAGE}: API at {SMALL}, API at {LARGE}, portal at {LARGE}")
            await api_page(small_base, tokens_small["office"], PAGE)
            await api_page(base, tokens["office"], PAGE)
            cookie = portal_cookie(tokens["office"], "office", "county_office", "dep-yingji")
            small_headers = {"Authorization": f"Bearer {tokens_small['office']}"}
            headers = {"Authorization": f"Bearer {tokens['office']}"}
            async with (
                httpx.AsyncClient(base_url=web, cookies={COOKIE: cookie}, timeout=60) as browser,
                httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api,
                httpx.AsyncClient(
                    base_url=small_base, headers=small_headers, timeout=60
                ) as small_api,
            ):
                page = await browser.get("/hazards", params=PAGE)
                assert page.status_code == 200 and "隐患台账" in page.text, page.text[:500]
                for _ in range(20):
                    await timed(browser, "/hazards", params=PAGE)
                via_portal, large, small = [], [], []
                for _ in range(REQUESTS):
                    small.append(await timed(small_api, "/hazards", params=PAGE))
                    large.append(await timed(api, "/hazards", params=PAGE))
                    via_portal.append(await timed(browser, "/hazards", params=PAGE))
            say(f"  API p95 {p95(small) * 1000:.1f} ms at {SMALL},"
                f" {p95(large) * 1000:.1f} ms at {LARGE};"
                f" portal p95 {p95(via_portal) * 1000:.1f} ms")  # fmt: skip

            township = await township_of(large_dsn)
            say("for information: the same page as a township officer (scoped), and counts")
            scoped = await api_page(base, tokens["daping"], PAGE)
            say(f"  township p95 {p95(scoped) * 1000:.1f} ms")
            counts_small, counts = await counts_p95(
                (small_base, tokens_small["daping"]), (base, tokens["daping"])
            )
            say(f"  工作台 counts (township) p95 {counts_small * 1000:.1f} ms at {SMALL},"
                f" {counts * 1000:.1f} ms at {LARGE} ({counts / counts_small:.1f}x)")  # fmt: skip

            rows, seconds = await export(base, tokens["office"], {"township_id": township})
            say(f"export: {rows} rows (one township, CSV) in {seconds:.2f} s")
            xlsx = await export_xlsx(base, tokens["office"], {"township_id": township})
            say(f"  as XLSX (for information): {xlsx:.2f} s, {rows / xlsx:.0f} rows/s")

        portal_vs_api = p95(via_portal) / p95(large)
        growth = p95(large) / p95(small)
        say(
            f"RESULT portal_vs_api_p95={portal_vs_api:.2f} api_1m_vs_10k_p95={growth:.2f}"
            f" export_rows_per_s={rows / seconds:.0f}"
        )
    finally:
        for name in names:
            await drop(name)


async def township_of(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SELECT id FROM units WHERE kind='township' ORDER BY id"))
    finally:
        await conn.close()


async def counts_p95(*apis: tuple[str, str]) -> list[float]:
    """p95 of `GET /hazards/counts` on each (base URL, token), called in turn."""
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
                )
            )
            for base, token in apis
        ]
        for _ in range(3):
            for client in clients:
                await timed(client, "/hazards/counts")
        times: list[list[float]] = [[] for _ in clients]
        for _ in range(max(10, REQUESTS // 10)):
            for client, series in zip(clients, times, strict=True):
                series.append(await timed(client, "/hazards/counts"))
        return [p95(series) for series in times]


async def export(base: str, token: str, params: dict[str, str]) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {token}"}
    rows = -1  # the header line
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as client:
        t0 = time.perf_counter()
        async with client.stream("GET", "/hazards/export", params=params | {"format": "csv"}) as r:
            assert r.status_code == 200, r.status_code
            async for chunk in r.aiter_bytes():
                rows += chunk.count(b"\n")
        return rows, time.perf_counter() - t0


async def export_xlsx(base: str, token: str, params: dict[str, str]) -> float:
    """Seconds until the last byte of the same export as XLSX (a zip: it can only be sent
    once the sheet is written)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as client:
        t0 = time.perf_counter()
        async with client.stream("GET", "/hazards/export", params=params | {"format": "xlsx"}) as r:
            assert r.status_code == 200, r.status_code
            async for _ in r.aiter_bytes():
                pass
        return time.perf_counter() - t0


if __name__ == "__main__":
    asyncio.run(main())
