"""Engine helpers: a pooled PostgreSQL connection the server closed is replaced at checkout; the
pool is sized from the service settings."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.hazard_api.config import Settings as HazardSettings
from shared.db import make_engine
from tests.conftest import PG_ADMIN_DSN, DatabaseFactory
from tests.shared.support import eventually, settings_engine


async def test_a_pooled_connection_the_server_closed_is_not_handed_out(
    make_database_url: DatabaseFactory,
) -> None:
    url = await make_database_url("postgresql")
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            lost = await conn.scalar(select(func.pg_backend_pid()))
            driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", lost)
        finally:
            await admin.close()
        await eventually(driver.is_closed)  # noticed while idle in the pool, no round trip
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.pg_backend_pid())) != lost
    finally:
        await engine.dispose()


async def _backends_held_at_once(engine: AsyncEngine, n: int) -> set[int]:
    """The backend pids of n connections checked out together, then all returned."""
    all_held = asyncio.Barrier(n + 1)
    release = asyncio.Event()
    pids: set[int] = set()

    async def hold() -> None:
        async with engine.connect() as conn:
            pids.add((await conn.execute(select(func.pg_backend_pid()))).scalar_one())
            await all_held.wait()
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(n)]
    await all_held.wait()
    release.set()
    await asyncio.gather(*holders)
    return pids


async def test_the_configured_pool_keeps_its_connections_between_bursts(
    make_database_url: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More requests at once than the default pool: overflow connections are closed on return,
    # so a pool not sized from the settings would open some of them again for the next burst.
    url = await make_database_url("postgresql")
    engine = settings_engine(monkeypatch, url, DB_POOL_SIZE="24")
    try:
        first = await _backends_held_at_once(engine, 24)
        assert await _backends_held_at_once(engine, 24) == first
    finally:
        await engine.dispose()


async def test_sqlite_engines_ignore_the_pool_size() -> None:
    settings = HazardSettings(
        database_url="sqlite+aiosqlite:///:memory:", db_pool_size=3, secret_key="x" * 24
    )
    engine = settings.make_engine()
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.abs(-1))) == 1
    finally:
        await engine.dispose()
