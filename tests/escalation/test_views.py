"""HTTP: ops endpoints, a case's plan, and the policy simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.escalation.main import create_app
from shared.clock import TestClock
from shared.contract import HazardEventType as E
from shared.contract import HazardStatus
from tests.escalation.conftest import (
    LEGACY_POLICIES,
    bearer,
    deliver,
    end_of_day,
    hazard_event,
    make_facts,
    make_settings,
    run_until,
    sh,
)


@pytest.fixture
async def app(database_url: str, clock: TestClock) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        run_consumer=False,
        run_relay=False,
        run_scheduler=False,
        run_auditor=False,
        policies_dir=LEGACY_POLICIES,
    )
    application = create_app(settings, clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI, clock: TestClock) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://escalation", headers=bearer(clock)
    ) as c:
        yield c


async def test_ops_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {
        "status": "ok",
        "clock": {"movable": False, "offset_s": 0.0},
    }
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "loops": "ok"}
    metrics = (await client.get("/metrics")).text
    assert "escalation_step_lateness_seconds_bucket" in metrics


async def test_case_shows_state_and_planned_steps(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    runtime = app.state.runtime
    clock.set(sh(2026, 9, 21, 10, 0))
    facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
    await deliver(runtime, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now()))
    await run_until(runtime, clock, sh(2026, 9, 30, 0, 0))

    body = (await client.get(f"/cases/{facts.hazard_id}")).json()
    assert body["state"] == "active" and body["policy_id"] == "county-general"
    assert body["policy_version"] == 1 and body["fired_count"] == 1
    steps = [(s["step_key"], s["status"], s["due_at"]) for s in body["steps"]]
    assert steps[:3] == [
        ("remind_3wd", "done", "2026-09-29T01:00:00Z"),
        ("remind_1wd", "planned", "2026-10-08T01:00:00Z"),
        ("overdue_notice", "planned", "2026-10-10T00:30:00Z"),  # not at 23:59: next morning
    ]
    assert body["next_fire_at"] == "2026-10-08T01:00:00Z"

    missing = await client.get("/cases/no-such-hazard")
    assert missing.status_code == 404 and missing.json()["detail"] == "未找到该隐患的督办案件"


async def test_simulate_shows_the_timeline_a_policy_would_produce(
    client: httpx.AsyncClient,
) -> None:
    facts = make_facts(
        status=HazardStatus.RECTIFICATION_REPORTED,
        classified_at=sh(2026, 9, 21, 10, 0),
        deadline_at=end_of_day(2026, 10, 9),
        rectification_reported_at=sh(2026, 10, 8, 16, 0),
    )
    answer = await client.post("/simulate", json={"facts": facts.model_dump(mode="json")})
    assert answer.status_code == 200
    body = answer.json()
    assert body["policy_id"] == "county-general"
    keys = [(s["step_key"], s["repeat_index"], s["due_at"]) for s in body["steps"]]
    assert keys[:4] == [
        ("remind_3wd", 0, "2026-09-29T01:00:00Z"),
        ("remind_1wd", 0, "2026-10-08T01:00:00Z"),
        ("overdue_notice", 0, "2026-10-10T00:30:00Z"),
        ("overdue_3wd", 0, "2026-10-13T01:00:00Z"),
    ]
    assert ("acceptance_overdue", 0, "2026-10-19T00:30:00Z") in keys  # Sunday: Monday 08:30

    draft = {
        "id": "draft",
        "version": 1,
        "title": "试行",
        "steps": [
            {
                "key": "only",
                "title": "期限前1个自然日",
                "offset": -1,
                "unit": "calendar_days",
                "at": "08:30",
                "targets": ["enterprise.principal"],
                "action": "reminder",
            }
        ],
    }
    tried = await client.post(
        "/simulate", json={"facts": facts.model_dump(mode="json"), "policy": draft}
    )
    assert [(s["step_key"], s["due_at"]) for s in tried.json()["steps"]] == [
        ("only", "2026-10-08T00:30:00Z")
    ]


async def test_simulate_rejects_bad_input_with_4xx(client: httpx.AsyncClient) -> None:
    facts = make_facts(level=None).model_dump(mode="json")
    no_policy = await client.post("/simulate", json={"facts": facts})
    assert no_policy.status_code == 422
    assert no_policy.json()["detail"] == "没有适用于该隐患的督办策略（请检查隐患等级）"
    bad_step = {"id": "x", "version": 1, "title": "t", "steps": [{"key": "Bad Key"}]}
    rejected = await client.post("/simulate", json={"facts": facts, "policy": bad_step})
    assert rejected.status_code == 422
    assert any(e["field"].startswith("policy.steps.0") for e in rejected.json()["errors"])
