"""The app's lifespan: the relay carries org events to the broker; health and readiness."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.seed import seed_demo
from services.hazard_api.main import create_app
from shared.broker import free_port
from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.contract import ORG_EVENTS, Envelope, PersonUpserted
from shared.db import transaction
from tests.hazard_api.conftest import DEMO_PASSWORD, make_settings


async def test_directory_change_reaches_a_consumer_through_the_broker(
    hazard_db: str, broker: str, clock: TestClock
) -> None:
    settings = make_settings(
        hazard_db, outbox_relay=True, kafka_bootstrap_servers=broker, outbox_poll_seconds=0.2
    )
    app = create_app(settings, clock=clock)
    seen: Counter[str] = Counter()
    payloads: dict[str, PersonUpserted] = {}

    async def handler(_session: AsyncSession, envelope: Envelope) -> None:
        seen[str(envelope.event_id)] += 1
        payload = envelope.typed_payload()
        if isinstance(payload, PersonUpserted):
            payloads[str(envelope.event_id)] = payload

    runner = ConsumerRunner(
        name=f"test-org-{uuid.uuid4().hex[:8]}",
        topics=[ORG_EVENTS],
        bootstrap_servers=broker,
        sessionmaker=app.state.sessionmaker,
        processed_events=outbox_tables.processed_events,
        handler=handler,
        session_timeout_ms=6000,
    )
    async with app.router.lifespan_context(app):
        async with transaction(app.state.sessionmaker) as session:
            await seed_demo(session=session, clock=clock)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = await client.get("/readyz")
            assert ready.json() == {
                "ready": True,
                "checks": {"database": "ok", "broker": "ok", "loops": "ok"},
            }
            token = await client.post(
                "/auth/token", data={"username": "office", "password": DEMO_PASSWORD}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            created = await client.post(
                "/people",
                json={"unit_id": "tw-daping", "name": "钟华", "mobile": "13900009999"},
                headers=headers,
            )
            assert created.status_code == 201
            person_id = created.json()["id"]
        o = outbox_tables.outbox
        async with app.state.engine.connect() as conn:
            ours = (await conn.execute(select(o.c.event_id).where(o.c.key == person_id))).all()
        [(event_id,)] = ours
        await runner.start()
        try:
            for _ in range(600):
                if event_id in seen:
                    break
                await asyncio.sleep(0.05)
        finally:
            await runner.stop()
        async with app.state.engine.connect() as conn:
            unsent = (await conn.execute(select(o.c.id).where(o.c.sent_at.is_(None)))).all()
    assert seen[event_id] == 1
    assert payloads[event_id] == PersonUpserted(
        person_id=person_id, name="钟华", mobile="13900009999"
    )
    assert unsent == []


async def test_health_and_readiness_without_a_broker(hazard_db: str, clock: TestClock) -> None:
    settings = make_settings(hazard_db, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).json() == {
                "status": "ok",
                "clock": {"movable": False, "offset_s": 0.0},
            }
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            body = ready.json()
            assert body["checks"]["database"] == "ok"
            assert body["checks"]["broker"].startswith("unavailable")
    finally:
        await app.state.engine.dispose()
