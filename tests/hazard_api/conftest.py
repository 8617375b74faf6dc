"""hazard_api fixtures: a migrated database, the app on it, the demo county, logins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.hazard_api.config import Settings
from services.hazard_api.db import MIGRATIONS_DIR
from services.hazard_api.directory.seed import DemoCounty, load_demo, seed_demo
from services.hazard_api.main import create_app
from shared.clock import TestClock
from shared.db import transaction
from shared.migrations import upgrade_async

SECRET = "hazard-api-test-secret-0123456789abcdef"
DEMO = load_demo()
DEMO_PASSWORD = DEMO.demo_password

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


@pytest.fixture
async def hazard_db(database_url: str) -> str:
    """A fresh database (SQLite and PostgreSQL) migrated to head."""
    await upgrade_async(database_url, MIGRATIONS_DIR)
    return database_url


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
    """The demo county (demo_county.yaml) written into the app's database."""
    async with transaction(app.state.sessionmaker) as session:
        assert await seed_demo(session=session, clock=app.state.clock)
    return DEMO


@pytest.fixture
def login(client: httpx.AsyncClient) -> Login:
    """`headers = await login("daping")`: a bearer header for a demo user."""

    async def login(username: str, password: str = DEMO_PASSWORD, **form: str) -> dict[str, str]:
        response = await client.post(
            "/auth/token", data={"username": username, "password": password, **form}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login
