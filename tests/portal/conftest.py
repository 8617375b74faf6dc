"""Portal fixtures: hazard_api on the demo county in the same process, served by uvicorn on a
local port, the portal in front of it (calling it over HTTP, as in production), and a signed-in
session per user."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from services.portal.config import Settings
from services.portal.main import create_app
from services.portal.session import COOKIE, PageSession, encode, new_csrf
from shared.clock import TestClock
from tests.hazard_api.conftest import (  # noqa: F401  (fixtures)
    app,
    client,
    hazard_db,
    login,
    seeded,
    seeded_templates,
)
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api, api  # noqa: F401
from tests.serving import serving

PORTAL_SECRET = "portal-test-secret-0123456789abcdef"
__all__ = ["HAZARD", "PLAN", "Api"]


def portal_settings(**overrides: object) -> Settings:
    fields: dict[str, object] = {
        "env": "test",
        "secret_key": PORTAL_SECRET,
        "hazard_api_url": "http://hazard-api.test",
        # Nothing listens there: the workbench shows tasks as unavailable, not an error page.
        "escalation_url": "http://127.0.0.1:9",
        "notification_url": "http://127.0.0.1:9",
        **overrides,
    }
    return Settings(**fields)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def portal_over(clock: TestClock, **services: FastAPI) -> AsyncIterator[FastAPI]:
    """The portal in front of `services` (hazard_api=…, escalation=…, notification=…,
    reporting=…), each served on a local port: the portal's client is a real HTTP client."""
    async with contextlib.AsyncExitStack() as stack:
        urls = {
            f"{name}_url": await stack.enter_async_context(serving(service))
            for name, service in services.items()
        }
        portal = create_app(portal_settings(**urls), clock)
        stack.push_async_callback(portal.state.upstream.aclose)
        yield portal


@pytest.fixture
async def portal_app(
    app: FastAPI,  # noqa: F811
    clock: TestClock,
) -> AsyncIterator[FastAPI]:
    async with portal_over(clock, hazard_api=app) as portal:
        yield portal


@pytest.fixture
async def portal(portal_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=portal_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as c:
        yield c


SignIn = Callable[[str], Awaitable[tuple[httpx.AsyncClient, str]]]


@pytest.fixture
async def signed_in(
    portal_app: FastAPI,
    api: Api,  # noqa: F811
    clock: TestClock,
) -> AsyncIterator[SignIn]:
    """`browser, csrf = await signed_in("hongxing")`: a client holding that user's session
    cookie (the token minted like /auth/token does; test_login covers the form itself)."""
    clients: list[httpx.AsyncClient] = []

    async def make(username: str) -> tuple[httpx.AsyncClient, str]:
        token = api.headers[username]["Authorization"].removeprefix("Bearer ")
        me = (await api.as_(username).get("/auth/me")).json()
        csrf = new_csrf()
        session = PageSession(
            token=token,
            csrf=csrf,
            username=username,
            role=me["role"],
            unit_id=me["unit_id"],
            last_seen=clock.now().timestamp(),
        )
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=portal_app), base_url="http://portal.test"
        )
        c.cookies.set(COOKIE, encode(session, PORTAL_SECRET), domain="portal.test")
        clients.append(c)
        return c, csrf

    yield make
    for c in clients:
        await c.aclose()
