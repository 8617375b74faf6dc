"""The rig of bench/e2e.py: scratch PostgreSQL databases for the three services (SQLite files
when PostgreSQL is unreachable) and the Aliyun SMS emulator in a process of its own, which tells
when each text arrived."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from shared.broker import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


# ----------------------------------------------------------------------------- databases
@contextlib.asynccontextmanager
async def databases() -> AsyncIterator[dict[str, str]]:
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL unreachable ({exc}); running on SQLite files", flush=True)
        yield {}
        return
    names = {svc: f"duban_bench_{uuid.uuid4().hex[:8]}_{svc}" for svc in ("h", "e", "n")}
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        for name in names.values():
            await admin.execute(f'CREATE DATABASE "{name}"')
        yield {
            "HAZARD_API_DATABASE_URL": f"{base}/{names['h']}",
            "ESCALATION_DATABASE_URL": f"{base}/{names['e']}",
            "NOTIFICATION_DATABASE_URL": f"{base}/{names['n']}",
        }
    finally:
        for name in names.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# ----------------------------------------------------------------------------- SMS emulator
# The Aliyun emulator of tests/notification, in a process of its own (so the load generator
# does not slow it down), plus a route that tells when each text arrived.
EMULATOR = """
import sys, uvicorn
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.notification import emulators

app = emulators.make_app("aliyun")

async def times(request):
    return JSONResponse([
        {"phone": a.phone, "template": a.template, "params": a.params, "at": a.at.timestamp()}
        for a in app.state.emulator.accepted
    ])

app.router.routes.append(Route("/_times", times))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


@dataclass(frozen=True)
class Text:
    phone: str
    template: str
    params: dict[str, str]
    at: float


@contextlib.asynccontextmanager
async def sms_emulator() -> AsyncIterator[str]:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", EMULATOR, str(port), cwd=str(ROOT)
    )
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        await proc.wait()


async def texts(client: httpx.AsyncClient, url: str) -> list[Text]:
    r = await client.get(url + "_times")
    r.raise_for_status()
    return [Text(**t) for t in r.json()]
