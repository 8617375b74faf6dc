"""Accounts: login throttling, the password policy, and a locked account or a changed password
cutting off the tokens already issued (here, and through `org.account_changed` elsewhere)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.auth.models import User
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.seed import DemoCounty
from services.hazard_api.main import create_app
from shared.clock import TestClock
from shared.contract import AccountChanged, Envelope
from tests.hazard_api.conftest import DEMO_PASSWORD, Login, make_settings


@pytest.fixture
async def strict(hazard_db: str, seeded: DemoCounty, clock: TestClock) -> AsyncIterator[FastAPI]:
    """The app on the seeded database with low limits: 3 per account, 5 per address."""
    app = create_app(
        make_settings(hazard_db, login_failures_per_account=3, login_failures_per_address=5),
        clock=clock,
    )
    yield app
    await app.state.engine.dispose()


@pytest.fixture
async def strict_client(strict: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=strict)
    async with httpx.AsyncClient(transport=transport, base_url="http://hazard-api.test") as c:
        yield c


async def _token(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", data={"username": username, "password": password})


async def test_failed_logins_block_the_account_even_for_the_right_password(
    strict_client: httpx.AsyncClient, clock: TestClock
) -> None:
    for _ in range(3):
        assert (await _token(strict_client, "daping", "wrong-password")).status_code == 401
    blocked = await _token(strict_client, "daping", DEMO_PASSWORD)
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.json()["detail"]
    assert int(blocked.headers["Retry-After"]) == 15 * 60
    clock.advance(minutes=10)
    again = await _token(strict_client, "daping", DEMO_PASSWORD)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) == 5 * 60
    # Another account from the same address is not blocked by this one's count.
    assert (await _token(strict_client, "office", DEMO_PASSWORD)).status_code == 200
    clock.advance(minutes=5)
    assert (await _token(strict_client, "daping", DEMO_PASSWORD)).status_code == 200


async def test_a_success_clears_the_account_count(strict_client: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert (await _token(strict_client, "daping", "wrong-password")).status_code == 401
    assert (await _token(strict_client, "daping", DEMO_PASSWORD)).status_code == 200
    for _ in range(2):
        assert (await _token(strict_client, "daping", "wrong-password")).status_code == 401
    assert (await _token(strict_client, "daping", DEMO_PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_blocked(
    strict_client: httpx.AsyncClient,
) -> None:
    for name in ("daping", "office", "zhujian", "hongxing", "no-such-user"):
        assert (await _token(strict_client, name, "wrong-password")).status_code == 401
    blocked = await _token(strict_client, "fuxianzhang", DEMO_PASSWORD)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-1", "内容过短"),  # the schema's own length check answers first
        ("abcdefghijkl", "至少两类字符"),
        ("password2026!", "过于常见"),
        ("1q2w3e4r5t", "过于常见"),
        ("zzzz1zzzzzz", "重复"),
        ("XiaoLi2026!", "用户名"),
        ("tel-13800001002", "手机号码"),
    ],
)
async def test_weak_passwords_are_refused_with_a_reason(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, password: str, message: str
) -> None:
    office = await login("office")
    account = {"username": "xiaoli", "role": "enterprise", "unit_id": "ent-hongxing",
               "person_id": "p-hongxing-2", "password": password}  # fmt: skip
    response = await client.post("/users", json=account, headers=office)
    assert response.status_code == 422, response.text
    assert message in str(response.json()), response.json()


async def test_a_good_password_is_accepted_and_a_reset_follows_the_policy(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    account = {"username": "xiaoli", "role": "enterprise", "unit_id": "ent-hongxing",
               "password": "Hongxing-anquan-7"}  # fmt: skip
    created = await client.post("/users", json=account, headers=office)
    assert created.status_code == 201, created.text
    weak = await client.patch(
        f"/users/{created.json()['id']}", json={"password": "qwerty123456"}, headers=office
    )
    assert weak.status_code == 422 and "过于常见" in weak.text


async def _account_events(app: FastAPI) -> list[AccountChanged]:
    o = outbox_tables.outbox
    async with app.state.engine.connect() as conn:
        raw = (await conn.execute(select(o.c.value).order_by(o.c.id))).scalars().all()
    envelopes = [Envelope.model_validate_json(r) for r in raw]
    return [
        AccountChanged.model_validate(e.payload)
        for e in envelopes
        if e.type == "org.account_changed"
    ]


async def test_locking_or_a_new_password_cuts_off_the_tokens_already_issued(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, clock: TestClock
) -> None:
    office = await login("office")
    async with app.state.sessionmaker() as session:
        daping_id = await session.scalar(select(User.id).where(User.username == "daping"))
    assert daping_id is not None
    old = await login("daping")
    clock.advance(minutes=1)
    changed = await client.patch(
        f"/users/{daping_id}", json={"password": "Xiangli-xin-mima-9"}, headers=office
    )
    assert changed.status_code == 200, changed.text
    refused = await client.get("/auth/me", headers=old)
    assert refused.status_code == 401 and "重新登录" in refused.json()["detail"]
    fresh = await login("daping", "Xiangli-xin-mima-9")
    assert (await client.get("/auth/me", headers=fresh)).status_code == 200
    (event,) = await _account_events(app)
    assert event.user_id == daping_id and event.active is True
    assert event.tokens_valid_from == clock.now()

    clock.advance(minutes=1)
    locked = await client.patch(f"/users/{daping_id}", json={"active": False}, headers=office)
    assert locked.status_code == 200
    assert (await client.get("/auth/me", headers=fresh)).status_code == 401
    lock = (await _account_events(app))[-1]
    assert (lock.active, lock.tokens_valid_from) == (False, clock.now())
    # Unlocking lets the account in again, but not with a token from before the lock.
    clock.advance(minutes=1)
    await client.patch(f"/users/{daping_id}", json={"active": True}, headers=office)
    assert (await client.get("/auth/me", headers=fresh)).status_code == 401
    unlocked = (await _account_events(app))[-1]
    assert unlocked.active is True and isinstance(unlocked.tokens_valid_from, datetime)
    # Scopes alone change nothing anyone else must know.
    count = len(await _account_events(app))
    await client.patch(f"/users/{daping_id}", json={"scopes": []}, headers=office)
    assert len(await _account_events(app)) == count


async def test_a_deleted_account_is_refused_at_its_next_request(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, clock: TestClock
) -> None:
    office = await login("office")
    async with app.state.sessionmaker() as session:
        daping_id = await session.scalar(select(User.id).where(User.username == "daping"))
        office_id = await session.scalar(select(User.id).where(User.username == "office"))
    token = await login("daping")
    assert (await client.get("/hazards", headers=token)).status_code == 200
    clock.advance(minutes=1)
    assert (await client.delete(f"/users/{daping_id}", headers=token)).status_code == 403
    deleted = await client.delete(f"/users/{daping_id}", headers=office)
    assert deleted.status_code == 204, deleted.text
    for path in ("/auth/me", "/hazards"):
        refused = await client.get(path, headers=token)
        assert refused.status_code == 401 and "重新登录" in refused.json()["detail"]
    assert (await _token(client, "daping", DEMO_PASSWORD)).status_code == 401
    # The other services learn it as an inactive account.
    event = (await _account_events(app))[-1]
    assert (event.user_id, event.active, event.tokens_valid_from) == (
        daping_id,
        False,
        clock.now(),
    )
    again = await client.delete(f"/users/{daping_id}", headers=office)
    assert again.status_code == 404 and again.json()["detail"] == "用户不存在"
    itself = await client.delete(f"/users/{office_id}", headers=office)
    assert itself.status_code == 409 and itself.json()["detail"] == "不能删除当前登录的账号"
    audit = await client.get("/audit/verify", headers=office)
    assert audit.json()["ok"] is True, audit.json()
