"""The reporting app beside hazard_api (in process, over ASGI): the inbound link's and the
quarterly table's tests. The reporting service signs in at hazard_api as its own integration
client (`baosong`, bound to the county, `hazards:read listing:external`) with a password, as
it does in production."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.passwords import hash_password
from services.hazard_api.auth.service import issue_token
from services.hazard_api.main import create_app as create_hazard_app
from services.reporting.db import MIGRATIONS_DIR
from services.reporting.incoming import Incoming
from services.reporting.main import create_app
from services.reporting.runtime import Runtime
from services.reporting.signing import signed_headers
from shared.bearer import encode_token
from shared.clock import TestClock
from shared.db import transaction
from shared.migrations import upgrade_async
from tests.hazard_api.conftest import SeededTemplates
from tests.hazard_api.conftest import make_settings as hazard_settings
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN
from tests.reporting.conftest import make_settings

# What the city and the province sign with (the inbound secret); a stranger's secret.
CITY_SECRET = "whsec_" + base64.b64encode(b"city-province-inbound-0123456789").decode()
STRANGER = "whsec_" + base64.b64encode(b"someone-else-entirely-0123456789").decode()
FEED_TOKEN = "province-poller-token-0123456789abcdef"
RELAY_USER, RELAY_PASSWORD = "baosong", "Relay-link-2026-password"


@dataclass
class Sides:
    hazard_app: FastAPI
    hazard: httpx.AsyncClient  # hazard_api as the county office
    app: FastAPI
    client: httpx.AsyncClient  # the reporting service, no credentials
    office: dict[str, str]  # a county-office bearer header for the reporting API
    clock: TestClock

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def post_signed(
        self, body: dict[str, Any] | bytes, msg_id: str, secrets: list[str] | None = None
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else _json(body)
        now = int(self.clock.now().timestamp())
        headers = signed_headers(secrets or [CITY_SECRET], msg_id, now, raw).as_dict()
        return await self.client.post("/inbound", content=raw, headers=headers)

    async def major_hazard(self, unit_id: str = "ent-hongxing", grade: int = 2) -> str:
        body = HAZARD | {"unit_id": unit_id, "source": "inspection"}
        hid = str((await self.hazard.post("/hazards", json=body)).json()["id"])
        major = {"level": "major", "grade": grade, "criterion_id": "YH-05"}
        assert (await self.hazard.post(f"/hazards/{hid}/classify", json=major)).status_code == 200
        assert (await self.hazard.put(f"/hazards/{hid}/plan", json=PLAN)).status_code == 200
        return hid


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


async def _add_relay(app: FastAPI, now: datetime) -> None:
    async with transaction(app.state.sessionmaker) as session:
        session.add(
            User(
                id="u-baosong",
                username=RELAY_USER,
                password_hash=await hash_password(RELAY_PASSWORD),
                role=UserRole.INTEGRATION.value,
                unit_id="county",
                person_id=None,
                scopes="hazards:read listing:external",
                active=True,
                created_at=now,
            )
        )


async def _office_header(app: FastAPI) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == "office"))
    assert user is not None
    token = issue_token(
        user, [], secret_key=app.state.settings.secret_key, clock=app.state.clock, minutes=10**5
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(name="sides")
async def sides_fixture(
    db_kind: str, database_url: str, seeded_templates: SeededTemplates, clock: TestClock
) -> AsyncIterator[Sides]:
    hazard_app = create_hazard_app(
        hazard_settings(await seeded_templates.copy(db_kind)), clock=clock
    )
    await _add_relay(hazard_app, clock.now())
    settings = make_settings(
        database_url,
        "http://127.0.0.1:9/unused",
        inbound_secrets=[CITY_SECRET],
        feed_tokens=[FEED_TOKEN],
        hazard_api_url="http://hazard-api.test",
        hazard_api_username=RELAY_USER,
        hazard_api_password=RELAY_PASSWORD,
        feed_settle_s=5,
        run_jobs=False,
    )
    await upgrade_async(settings.database_url, MIGRATIONS_DIR)
    app = create_app(settings, clock=clock)
    runtime: Runtime = app.state.runtime
    wired = getattr(runtime, "incoming", None)
    if wired is not None:  # the app's own link talks to a hazard_api that is not there
        await wired.stop()
    runtime.incoming = Incoming(
        settings,
        runtime.sessionmaker,
        clock,
        hazard_transport=httpx.ASGITransport(app=hazard_app),
    )
    office_token = encode_token(
        {"sub": "u-office", "role": "county_office"},
        secret_key=settings.secret_key,
        clock=clock,
        minutes=10**5,
    )
    hazard_transport = httpx.ASGITransport(app=hazard_app)
    async with (
        httpx.AsyncClient(
            transport=hazard_transport,
            base_url="http://hazard-api.test",
            headers=await _office_header(hazard_app),
        ) as hazard,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://reporting.test"
        ) as client,
    ):
        yield Sides(
            hazard_app,
            hazard,
            app,
            client,
            {"Authorization": f"Bearer {office_token}"},
            clock,
        )
    await runtime.incoming.stop()
    await runtime.deliverer.aclose()
    await runtime.engine.dispose()
    await hazard_app.state.engine.dispose()
