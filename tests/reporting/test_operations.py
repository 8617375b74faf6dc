"""The county office's operations over HTTP and the CLI: deliveries view with filters, replay
(same id, current secret, history kept), byte-for-byte verification, endpoint re-enabling,
schemas served; and the metrics per endpoint."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import ValidationError
from sqlalchemy import update

from ops.province_emulator import Running
from services.reporting.ledger.models import Submission
from services.reporting.main import create_app
from services.reporting.operations import metrics
from shared.bearer import encode_token
from shared.clock import TestClock
from shared.contract import HazardEventType
from shared.db import transaction
from tests.reporting.conftest import consume, hazard, listing, make_settings

KEY = "reporting-test-secret-0123456789abcdef"
NEW_SECRET = "whsec_" + base64.b64encode(b"rotated-province-secret-01234567").decode()


def bearer(clock: TestClock, role: str = "county_office") -> dict[str, str]:
    token = encode_token(
        {"sub": f"u-{role}", "role": role}, secret_key=KEY, clock=clock, minutes=60
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def app(database_url: str, clock: TestClock, emulator: Running) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(database_url, emulator.url, run_jobs=False), clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as c:
        yield c


async def test_deliveries_view_replay_and_verify(
    app: FastAPI, client: httpx.AsyncClient, emulator: Running, clock: TestClock
) -> None:
    rt = app.state.runtime
    emulator.emulator.mode = "500"
    await consume(rt, hazard(HazardEventType.CLASSIFIED, clock.now()), listing(clock.now()))
    await rt.deliverer.run_until_idle()
    assert (await client.get("/submissions")).status_code == 401
    assert (await client.get("/submissions", headers=bearer(clock, "township"))).status_code == 403
    r = await client.get("/submissions", params={"state": "pending"}, headers=bearer(clock))
    assert r.status_code == 200
    rows = r.json()
    assert [x["document"] for x in rows] == ["hazard-listing", "hazard-major"]
    first = rows[1]
    assert first["attempts"][0]["status_code"] == 500 and first["last_error"] == "HTTP 500"
    only = await client.get(
        "/submissions", params={"document": "hazard-listing"}, headers=bearer(clock)
    )
    assert [x["webhook_id"] for x in only.json()] == [rows[0]["webhook_id"]]
    bad = await client.get("/submissions", params={"state": "lost"}, headers=bearer(clock))
    assert bad.status_code == 422

    # The province's secret was rotated meanwhile; a replay signs with the current one.
    emulator.emulator.mode, emulator.emulator.secrets = "ok", [NEW_SECRET]
    rt.settings.signing_secrets = [NEW_SECRET]
    async with transaction(rt.sessionmaker) as session:  # as if the retry window had passed
        await session.execute(
            update(Submission)
            .where(Submission.webhook_id == first["webhook_id"])
            .values(state="dead", next_attempt_at=None)
        )
    replayed = await client.post(
        f"/submissions/{first['webhook_id']}/replay", headers=bearer(clock)
    )
    assert replayed.json() == {"webhook_id": first["webhook_id"], "state": "pending", "replays": 1}
    await rt.deliverer.run_until_idle()
    await rt.deliverer.run_until_idle()
    assert [r["webhook_id"] for r in emulator.emulator.ordered()] == [
        first["webhook_id"],
        rows[0]["webhook_id"],
    ]
    after = (await client.get("/submissions?item_key=hazard:h-1", headers=bearer(clock))).json()
    major = next(x for x in after if x["webhook_id"] == first["webhook_id"])
    assert [a["outcome"] for a in major["attempts"]] == ["retry", "delivered"]
    assert major["receipt_no"] and major["state"] == "delivered"

    proof = await client.get(f"/submissions/{first['webhook_id']}/verify", headers=bearer(clock))
    assert proof.json()["identical"] is True
    missing = await client.post("/submissions/msg_nope/replay", headers=bearer(clock))
    assert missing.status_code == 404 and "上报台账中没有" in missing.json()["detail"]


async def test_a_disabled_endpoint_is_enabled_again_and_metrics_say_what_waits(
    app: FastAPI, client: httpx.AsyncClient, emulator: Running, clock: TestClock
) -> None:
    rt = app.state.runtime
    emulator.emulator.mode = "410"
    await consume(rt, hazard(HazardEventType.CLASSIFIED, clock.now()))
    await rt.deliverer.run_until_idle()
    clock.advance(minutes=10)
    await metrics.refresh(rt.sessionmaker, clock.now(), force=True)
    labels = {"endpoint": "province"}
    assert REGISTRY.get_sample_value("reporting_pending_submissions", labels) == 1
    assert REGISTRY.get_sample_value("reporting_oldest_pending_age_seconds", labels) == 600
    emulator.emulator.mode = "ok"
    r = await client.post("/endpoints/province/enable", headers=bearer(clock))
    assert r.json() == {"endpoint_id": "province", "state": "active"}
    await rt.deliverer.run_until_idle()
    assert len(emulator.emulator.ordered()) == 1
    await metrics.refresh(rt.sessionmaker, clock.now() + timedelta(seconds=1), force=True)
    assert REGISTRY.get_sample_value("reporting_pending_submissions", labels) == 0
    text = (await client.get("/metrics")).text
    assert "reporting_delivery_failures_total" in text


async def test_the_schemas_are_served(client: httpx.AsyncClient) -> None:
    listing_ = (await client.get("/schemas")).json()
    assert {"hazard-major", "hazard-listing", "accident-report"} <= {s["name"] for s in listing_}
    schema = (await client.get("/schemas/accident-report/1")).json()
    assert schema["$id"] == "/schemas/accident-report/1"
    assert "GB 32100" in str(schema)
    missing = await client.get("/schemas/accident-report/9")
    assert missing.status_code == 404


async def test_the_cli_replays_and_verifies(
    app: FastAPI,
    database_url: str,
    emulator: Running,
    clock: TestClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    from ops.cli import main

    rt = app.state.runtime
    emulator.emulator.mode = "500"
    await consume(rt, hazard(HazardEventType.CLASSIFIED, clock.now()))
    await rt.deliverer.run_until_idle()
    for name, value in {
        "DUBAN_ENV": "test",
        "REPORTING_DATABASE_URL": database_url,
        "REPORTING_SECRET_KEY": KEY,
    }.items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(main, ["reporting", "verify", "1"]) == 0
    assert "逐字节一致" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["reporting", "replay", "1"]) == 0
    assert "第 1 次重放" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["reporting", "replay", "msg_nope"]) == 1


def test_production_will_not_report_under_the_placeholder_county_code() -> None:
    db, hook = "postgresql+asyncpg://r@db/reporting", "https://province.example/hook"
    with pytest.raises(ValidationError, match="REPORTING_COUNTY_AREA_CODE"):
        make_settings(db, hook, env="production", county_area_code="000000")
    assert make_settings(db, hook, env="production").county_area_code == "430723"
