"""Who may call escalation (#17): hazard_api's bearer tokens on every endpoint but health,
metrics and the API docs; `/simulate` for the county office; `/cases/{id}` within the caller's
scope; a locked, deleted or cut-off account refused at its next request; bodies bounded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.escalation.main import create_app
from shared.clock import TestClock
from shared.contract import AccountChanged, Envelope, Producer
from shared.contract import HazardEventType as E
from shared.db import is_sqlite, transaction
from tests.escalation.conftest import (
    LEGACY_POLICIES,
    bearer,
    deliver,
    end_of_day,
    hazard_event,
    make_facts,
    make_settings,
    sh,
)

OPEN = {"/healthz", "/readyz", "/metrics"}


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
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as c:
        yield c


async def a_case(app: FastAPI, clock: TestClock) -> str:
    """A case of enterprise ent-1 in township town-1, supervised by dept-yjj."""
    clock.set(sh(2026, 9, 21, 10, 0))
    facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
    await deliver(app.state.runtime, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now()))
    return facts.hazard_id


async def account_changed(app: FastAPI, clock: TestClock, changed: AccountChanged) -> None:
    """What the `org.events` consumer does with hazard_api's announcement."""
    from services.escalation.accounts.service import apply_org_event

    envelope = Envelope.of(
        changed, aggregate_id=changed.user_id, producer=Producer.HAZARD_API, occurred_at=clock.now()
    )
    async with transaction(app.state.runtime.sessionmaker) as session:
        await apply_org_event(session, envelope)


async def test_every_endpoint_but_health_and_docs_needs_a_token(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    checked = []
    for template, operations in app.openapi()["paths"].items():
        if template in OPEN:
            continue
        path = template.replace("{hazard_id}", "hz-1").replace("{task_id}", "t-1")
        for method in operations:
            method = method.upper()
            answer = await client.request(method, path, json={})
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["detail"] == "未登录或登录已过期，请重新登录"
            assert answer.headers["www-authenticate"] == "Bearer"
            forged = bearer(clock, secret="not-hazard-api-s-key-0123456789abcdef")
            assert (await client.request(method, path, json={}, headers=forged)).status_code == 401
            checked.append(f"{method} {path}")
    assert sorted(checked) == [
        "GET /cases",  # the board's stages (tests/escalation/test_board_views.py)
        "GET /cases/hz-1",
        "GET /cases/hz-1/simulation",
        "GET /internal/outbox",  # service tokens only (tests/shared/test_repair.py)
        "GET /policies",
        "GET /tasks",
        "POST /simulate",
        "POST /tasks/t-1/done",
    ]
    for path in OPEN:
        assert (await client.get(path)).status_code == 200
    assert (await client.get("/docs")).status_code == 200


@pytest.mark.parametrize("role", ["township", "enterprise", "department", "leader", "integration"])
async def test_simulate_is_the_county_office_s(
    client: httpx.AsyncClient, clock: TestClock, role: str
) -> None:
    facts = make_facts(classified_at=sh(2026, 9, 21, 10), deadline_at=end_of_day(2026, 10, 9))
    body = {"facts": facts.model_dump(mode="json")}
    refused = await client.post("/simulate", json=body, headers=bearer(clock, role))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "只有县安委办可以推演督办策略"
    allowed = await client.post("/simulate", json=body, headers=bearer(clock))
    assert allowed.status_code == 200 and allowed.json()["policy_id"] == "county-general"


@pytest.mark.parametrize(
    ("role", "unit_id", "extra", "status"),
    [
        ("county_office", "county", {}, 200),
        ("enterprise", "ent-1", {}, 200),
        ("enterprise", "ent-2", {}, 404),
        ("township", "town-1", {}, 200),
        ("township", "town-2", {}, 404),
        ("department", "dept-yjj", {}, 200),
        ("department", "dept-other", {}, 404),
        ("leader", "ent-2", {}, 404),
        ("integration", "town-1", {"scopes": ["hazards:read"]}, 200),
        ("integration", "town-1", {"scopes": []}, 404),
    ],
)
async def test_a_case_is_read_within_the_caller_s_scope(
    app: FastAPI,
    client: httpx.AsyncClient,
    clock: TestClock,
    role: str,
    unit_id: str,
    extra: dict[str, Any],
    status: int,
) -> None:
    hazard_id = await a_case(app, clock)
    answer = await client.get(
        f"/cases/{hazard_id}", headers=bearer(clock, role, unit_id=unit_id, **extra)
    )
    assert answer.status_code == status, answer.text
    if status == 404:  # the same answer as a case that does not exist
        missing = await client.get("/cases/no-such", headers=bearer(clock, role, unit_id=unit_id))
        assert answer.json() == missing.json() == {"detail": "未找到该隐患的督办案件"}


@pytest.mark.parametrize("how", ["locked", "deleted"])
async def test_a_locked_or_deleted_account_is_refused_at_its_next_request(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock, how: str
) -> None:
    hazard_id = await a_case(app, clock)
    office, other = bearer(clock, user_id="u-1"), bearer(clock, user_id="u-2")
    assert (await client.get(f"/cases/{hazard_id}", headers=office)).status_code == 200
    clock.advance(minutes=5)
    # hazard_api announces a deleted account as inactive, with the moment of deletion.
    await account_changed(
        app, clock, AccountChanged(user_id="u-1", active=False, tokens_valid_from=clock.now())
    )
    for method, path in (("GET", f"/cases/{hazard_id}"), ("GET", "/tasks")):
        refused = await client.request(method, path, headers=office)
        assert refused.status_code == 401, how
        # a token issued after the lock is refused too: the account is locked
        fresh = bearer(clock, user_id="u-1")
        assert (await client.request(method, path, headers=fresh)).status_code == 401
    assert (await client.get(f"/cases/{hazard_id}", headers=other)).status_code == 200


async def test_a_new_password_cuts_off_only_the_older_tokens(
    app: FastAPI, client: httpx.AsyncClient, clock: TestClock
) -> None:
    hazard_id = await a_case(app, clock)
    old = bearer(clock, user_id="u-1")
    clock.advance(minutes=5)
    await account_changed(
        app, clock, AccountChanged(user_id="u-1", active=True, tokens_valid_from=clock.now())
    )
    clock.advance(seconds=1)
    new = bearer(clock, user_id="u-1")
    assert (await client.get(f"/cases/{hazard_id}", headers=old)).status_code == 401
    assert (await client.get(f"/cases/{hazard_id}", headers=new)).status_code == 200


async def test_a_policy_of_ten_megabytes_is_refused_before_parsing(
    client: httpx.AsyncClient, clock: TestClock
) -> None:
    facts = make_facts(classified_at=sh(2026, 9, 21, 10), deadline_at=end_of_day(2026, 10, 9))
    step = {"key": "s", "title": "步" * 100, "offset": -1, "unit": "calendar_days"}
    policy = {"id": "big", "version": 1, "title": "t", "steps": [step] * 40_000}
    body = json.dumps({"facts": facts.model_dump(mode="json"), "policy": policy})
    assert len(body) > 10_000_000
    answer = await client.post(
        "/simulate",
        content=body,
        headers={**bearer(clock), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == "请求体过大（上限 1 MB），请拆分后再提交"


async def test_text_the_database_cannot_store_is_a_4xx(
    client: httpx.AsyncClient, clock: TestClock, database_url: str
) -> None:
    """NUL in a path: PostgreSQL refuses it in text (a data exception, 422); SQLite finds
    nothing (404). Never a 500."""
    answer = await client.get("/cases/a%00b", headers=bearer(clock))
    assert answer.status_code == (404 if is_sqlite(database_url) else 422), answer.text
    if answer.status_code == 422:
        assert answer.json() == {"detail": "输入包含无法保存的字符或超出范围的数值"}
