"""Session-wide real servers: PostgreSQL databases, the tansu broker, a test clock."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from fastapi.dependencies import models as fastapi_dependencies

from shared.broker import EmbeddedBroker
from shared.calendar import default_calendar
from shared.clock import TestClock

# The page tests drive Debian's Chromium (`make test` installs it); under CI a missing one fails.
CHROMIUM = os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium")
PG_ADMIN_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
DB_KINDS = ("sqlite", "postgresql")


async def _pg_reachable() -> bool:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@pytest.fixture(scope="session")
def pg_available() -> bool:
    ok = asyncio.run(_pg_reachable())
    if not ok and IN_CI:
        pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_DSN} under CI=true", pytrace=False)
    return ok


DatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
async def make_database_url(
    pg_available: bool, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatabaseFactory]:
    """`await make_database_url("postgresql" | "sqlite")` → the URL of a fresh, empty database."""
    created: list[str] = []

    async def make(kind: str) -> str:
        if kind == "sqlite":
            path: Path = tmp_path_factory.mktemp("db") / "duban.db"
            return f"sqlite+aiosqlite:///{path}"
        if kind != "postgresql":
            raise ValueError(kind)
        if not pg_available:
            pytest.skip(
                f"!!! PostgreSQL unreachable at {PG_ADMIN_DSN}: PostgreSQL tests SKIPPED !!!"
            )
        name = f"duban_t_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{name}"

    yield make

    if created:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for name in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(params=DB_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both databases."""
    return str(request.param)


@pytest.fixture
async def database_url(db_kind: str, make_database_url: DatabaseFactory) -> str:
    return await make_database_url(db_kind)


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """Bootstrap servers of a Kafka-protocol broker: `KAFKA_BOOTSTRAP_SERVERS`, or a tansu."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    with EmbeddedBroker() as embedded:
        yield embedded.bootstrap_servers


@pytest.fixture(autouse=True)
def official_calendar_reset() -> Iterator[None]:
    """The process-wide calendar starts each test with no loaded schedule (a test that loads
    an official 2027 must not change the deadlines of the tests after it)."""
    default_calendar().reset()
    yield
    default_calendar().reset()


# FastAPI remembers, per route handler and dependency, whether it is a coroutine or a
# generator, in three caches of 4,096 entries each. The ops, outbox-feed and API-docs routes
# are closures made by each app, so those caches kept hundreds of this process's apps alive,
# each with its engine, routes and validators: 3 GB by the end of `make test`, and full
# collections of that heap long enough (seconds) to time out a request in a later test.
# One process runs one app in production, where the caches stay small.
_FASTAPI_CALL_CACHES = (
    "_is_gen_callable_cached",
    "_is_async_gen_callable_cached",
    "_is_coroutine_callable_cached",
)


@pytest.fixture(autouse=True)
def apps_released() -> Iterator[None]:
    yield
    for name in _FASTAPI_CALL_CACHES:
        cache = getattr(fastapi_dependencies, name, None)
        if cache is not None:
            cache.cache_clear()


@pytest.fixture
def clock() -> TestClock:
    # A Friday morning in Shanghai, ordinary working week.
    return TestClock(datetime(2026, 3, 6, 1, 0, tzinfo=UTC))


def unique_topic(prefix: str = "t") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


@pytest.fixture
def topic_name() -> str:
    return unique_topic()


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which(CHROMIUM) or ""
    if not path:
        message = f"Chromium not found at {CHROMIUM}; `make test` installs it (Debian chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(f"!!! {message} !!!")
    return path
