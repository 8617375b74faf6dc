"""A hazard whose event the broker lost reaches escalation through the repair (issue #17).

hazard_api's outbox holds the event, marked sent (the broker acknowledged and lost it); the
escalation consumer's reconciler reads hazard_api's `GET /internal/outbox` with a service token
and applies it: the escalation case exists, once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from services.escalation.cases.models import Case
from services.escalation.db import outbox_tables as escalation_tables
from services.escalation.runtime import Runtime
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.seed import DemoCounty
from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.contract import HAZARD_EVENTS
from shared.outbox_feed import service_token
from shared.repair import HttpFeed, OutboxReconciler
from tests.conftest import DatabaseFactory, unique_topic
from tests.escalation.conftest import make_settings, start_runtime
from tests.hazard_api.conftest import SECRET, Login


@pytest.fixture
async def escalation(
    db_kind: str, make_database_url: DatabaseFactory, clock: TestClock
) -> AsyncIterator[Runtime]:
    url = await make_database_url(db_kind)
    runtime = await start_runtime(url, clock, make_settings(url).policies_dir)  # county policies
    yield runtime
    await runtime.engine.dispose()


async def test_a_hazard_event_the_broker_lost_reaches_escalation_through_the_repair(
    app: FastAPI,
    client: httpx.AsyncClient,
    seeded: DemoCounty,
    login: Login,
    escalation: Runtime,
    broker: str,
    clock: TestClock,
) -> None:
    township = await login("daping")
    hazard = {
        "unit_id": "ent-hongxing",
        "location": "二号库房东侧",
        "description": "库房存药量超过核定药量",
        "source": "inspection",
        "found_at": clock.now().isoformat(),
    }
    created = await client.post("/hazards", json=hazard, headers=township)
    assert created.status_code == 201, created.text
    hazard_id = created.json()["id"]
    o = outbox_tables.outbox
    async with app.state.engine.begin() as conn:  # acknowledged by a broker that then lost it
        await conn.execute(update(o).values(sent_at=clock.now()))
    clock.advance(timedelta(minutes=2))

    # A person's token cannot read the outbox.
    refused = await client.get(f"/internal/outbox?topic={HAZARD_EVENTS}", headers=township)
    assert refused.status_code == 403

    runner = ConsumerRunner(
        name="escalation",
        topics=[unique_topic("quiet")],  # the broker delivers nothing: only the repair does
        bootstrap_servers=broker,
        sessionmaker=escalation.sessionmaker,
        processed_events=escalation_tables.processed_events,
        handler=escalation.flows.handle,
        clock=clock,
    )
    await runner.start()
    try:
        feed = HttpFeed(
            "http://hazard-api.test",
            lambda: service_token(service="escalation", secret_key=SECRET, clock=clock),
            transport=httpx.ASGITransport(app=app),
        )
        reconciler = OutboxReconciler(runner, {HAZARD_EVENTS: feed}, clock=clock)
        assert await reconciler.run_once() >= 1
        assert await reconciler.run_once() == 0
    finally:
        await runner.stop()

    async with escalation.sessionmaker() as session:
        cases = await session.scalar(
            select(func.count()).select_from(Case).where(Case.hazard_id == hazard_id)
        )
    assert cases == 1
