"""hazard_api fixtures: a migrated database, the app on it, the demo county, logins."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url

from services.hazard_api.auth.models import User
from services.hazard_api.auth.service import grant_scopes, issue_token
from services.hazard_api.config import Settings
from services.hazard_api.db import MIGRATIONS_DIR
from services.hazard_api.directory.models import Unit
from services.hazard_api.directory.seed import DemoCounty, load_demo, seed_demo
from services.hazard_api.main import create_app
from shared.clock import TestClock
from shared.db import make_engine, make_sessionmaker, transaction
from shared.migrations import upgrade_async
from tests.conftest import PG_ADMIN_DSN, DatabaseFactory

SECRET = "hazard-api-test-secret-0123456789abcdef"
DEMO = load_demo()
DEMO_PASSWORD = DEMO.demo_password

# The `clock` fixture's start: seeded rows carry this time.
SEED_TIME = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)

Login = Callable[..., Awaitable[dict[str, str]]]


def make_settings(database_url: str, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "secret_key": SECRET,
        "outbox_relay": False,
        **overrides,
    }
    return Settings(**fields)


def _copy_sqlite(source: Path, target: Path) -> None:
    # The last connection closing checkpointed the WAL; copy it too should one remain.
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


class SeededTemplates:
    """The demo county is migrated and seeded once per database kind, then copied per test."""

    def __init__(self, make_database_url: DatabaseFactory, tmp: pytest.TempPathFactory) -> None:
        self._make_database_url = make_database_url
        self._tmp = tmp
        self._templates: dict[str, str] = {}
        self.copies: list[str] = []

    async def _build(self, kind: str) -> str:
        url = await self._make_database_url(kind)
        await upgrade_async(url, MIGRATIONS_DIR)
        engine = make_engine(url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                await seed_demo(session=session, clock=TestClock(SEED_TIME))
        finally:
            await engine.dispose()
        return url

    async def copy(self, kind: str) -> str:
        if kind not in self._templates:
            self._templates[kind] = await self._build(kind)
        template = make_url(self._templates[kind])
        if kind == "sqlite":
            target = self._tmp.mktemp("db") / "duban.db"
            await asyncio.to_thread(_copy_sqlite, Path(str(template.database)), target)
            return f"sqlite+aiosqlite:///{target}"
        name = f"duban_t_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"')
        finally:
            await conn.close()
        self.copies.append(name)
        return template.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def seeded_templates(
    make_database_url: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SeededTemplates]:
    templates = SeededTemplates(make_database_url, tmp_path_factory)
    yield templates
    if templates.copies:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for name in templates.copies:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture
async def hazard_db(
    request: pytest.FixtureRequest,
    db_kind: str,
    make_database_url: DatabaseFactory,
    seeded_templates: SeededTemplates,
) -> str:
    """A fresh database (SQLite and PostgreSQL) migrated to head.

    Tests that ask for `seeded` get a copy of a database holding the demo county already.
    """
    if "seeded" in request.fixturenames:
        return await seeded_templates.copy(db_kind)
    url = await make_database_url(db_kind)
    await upgrade_async(url, MIGRATIONS_DIR)
    return url


@pytest.fixture
async def app(hazard_db: str, clock: TestClock) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(hazard_db), clock=clock)
    yield app
    await app.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hazard-api.test") as c:
        yield c


@pytest.fixture
async def seeded(app: FastAPI) -> DemoCounty:
    """The demo county (demo_county.yaml) is in the app's database (see `hazard_db`)."""
    async with app.state.sessionmaker() as session:
        assert await session.get(Unit, DEMO.county.id) is not None
    return DEMO


@pytest.fixture
def login(app: FastAPI, client: httpx.AsyncClient) -> Login:
    """`headers = await login("daping")`: a bearer header for a demo user.

    With the demo password the token is minted directly (argon2 is slow on a busy machine;
    test_auth covers the password flow); any other password goes through `POST /auth/token`.
    """

    async def login(username: str, password: str = DEMO_PASSWORD, **form: str) -> dict[str, str]:
        if password == DEMO_PASSWORD:
            async with app.state.sessionmaker() as session:
                user = await session.scalar(select(User).where(User.username == username))
            assert user is not None, username
            token = issue_token(
                user,
                grant_scopes(user, form.get("scope", "").split()),
                secret_key=SECRET,
                clock=app.state.clock,
                minutes=app.state.settings.access_token_minutes,
            )
            return {"Authorization": f"Bearer {token}"}
        response = await client.post(
            "/auth/token", data={"username": username, "password": password, **form}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login
