"""A database that does not answer in time, or cannot be reached: the statement ends
(`db_command_timeout_s`) and the request is answered 503 with Retry-After, in Chinese, instead
of hanging a worker or answering a bare 500."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine
from shared.errors import RETRY_AFTER_S, TIMED_OUT, UNREACHABLE, install_storage_error_handlers
from tests.conftest import DatabaseFactory
from tests.shared.support import settings_engine


def an_app(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    install_storage_error_handlers(app)

    @app.post("/write")
    async def write() -> dict[str, int]:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE counters SET n = n + 1 WHERE id = 1"))
        return {"ok": 1}

    return app


async def answer(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/write")


@pytest.fixture
async def timed_engine(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncEngine]:
    """hazard_api's engine as its settings build it, with a command timeout of 0.5 s."""
    engine = settings_engine(monkeypatch, database_url, DB_COMMAND_TIMEOUT_S="0.5")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER)"))
        await conn.execute(text("INSERT INTO counters VALUES (1, 0)"))
    yield engine
    await engine.dispose()


async def test_a_write_behind_a_lock_nobody_releases_ends_in_a_503(
    database_url: str, timed_engine: AsyncEngine
) -> None:
    # Another writer holds the row (PostgreSQL) or the database's write lock (SQLite) and
    # never lets go; it has its own engine, without a timeout.
    holder = make_engine(database_url)
    release = asyncio.Event()
    holding = asyncio.Event()

    async def hold() -> None:
        async with holder.begin() as conn:
            await conn.execute(text("UPDATE counters SET n = n + 100 WHERE id = 1"))
            holding.set()
            await release.wait()

    task = asyncio.create_task(hold())
    try:
        await asyncio.wait_for(holding.wait(), 10)
        refused = await asyncio.wait_for(answer(an_app(timed_engine)), 30)
        assert refused.status_code == 503, refused.text
        assert refused.json() == {"detail": TIMED_OUT}
        assert refused.headers["Retry-After"] == str(RETRY_AFTER_S)
    finally:
        release.set()
        await task
        await holder.dispose()
    # Once the lock is gone the same engine works again, and the refused write left nothing.
    assert (await answer(an_app(timed_engine))).status_code == 200
    async with timed_engine.connect() as conn:
        assert await conn.scalar(text("SELECT n FROM counters")) == 101


async def test_a_statement_that_runs_too_long_is_cancelled(
    make_database_url: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await make_database_url("postgresql")
    engine = settings_engine(monkeypatch, url, DB_COMMAND_TIMEOUT_S="0.5")
    watcher = make_engine(url)
    try:
        with pytest.raises(TimeoutError):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(30)"))
        # Cancelled on the server too, not left running there.
        async with watcher.connect() as conn:
            running = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' "
                    "AND state = 'active' AND pid <> pg_backend_pid()"
                )
            )
        assert running == 0
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
        await watcher.dispose()


async def test_a_database_that_cannot_be_reached_is_a_503(
    make_database_url: DatabaseFactory,
) -> None:
    url = await make_database_url("postgresql")  # a server here, then a port nobody listens on
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = make_url(url).set(port=port).render_as_string(hide_password=False)
    engine = make_engine(closed, command_timeout_s=0.5)
    try:
        refused = await answer(an_app(engine))
    finally:
        await engine.dispose()
    assert refused.status_code == 503, refused.text
    assert refused.json() == {"detail": UNREACHABLE}
    assert refused.headers["Retry-After"] == str(RETRY_AFTER_S)
