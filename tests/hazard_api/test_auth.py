"""OAuth2 password flow, JWT expiry on the injected clock, roles and integration scopes."""

from __future__ import annotations

import httpx
import jwt

from services.hazard_api.directory.seed import DemoCounty
from shared.clock import TestClock
from tests.hazard_api.conftest import DEMO_PASSWORD, SECRET, Login


async def _password_login(client: httpx.AsyncClient, username: str, **form: str) -> dict[str, str]:
    data = {"username": username, "password": DEMO_PASSWORD, **form}
    response = await client.post("/auth/token", data=data)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_token_for_the_right_password_identifies_the_user(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    response = await client.post(
        "/auth/token", data={"username": "daping", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    claims = jwt.decode(
        body["access_token"], SECRET, algorithms=["HS256"], options={"verify_exp": False}
    )
    assert claims["role"] == "township"
    assert claims["unit_id"] == "tw-daping"
    me = await client.get("/auth/me", headers=await login("daping"))
    assert me.status_code == 200
    assert me.json()["role"] == "township"
    assert me.json()["unit_id"] == "tw-daping"


async def test_wrong_password_and_unknown_user_answer_401(
    client: httpx.AsyncClient, seeded: DemoCounty
) -> None:
    wrong = await client.post("/auth/token", data={"username": "daping", "password": "nope-nope"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "用户名或密码错误"
    unknown = await client.post(
        "/auth/token", data={"username": "ghost", "password": DEMO_PASSWORD}
    )
    assert unknown.status_code == 401


async def test_expired_token_answers_401(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, clock: TestClock
) -> None:
    headers = await _password_login(client, "office")
    assert (await client.get("/units/county", headers=headers)).status_code == 200
    clock.advance(hours=8, minutes=1)  # access_token_minutes defaults to 8 hours
    expired = await client.get("/units/county", headers=headers)
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Bearer"


async def test_missing_forged_and_garbage_tokens_answer_401(
    client: httpx.AsyncClient, seeded: DemoCounty, clock: TestClock
) -> None:
    assert (await client.get("/units")).status_code == 401
    forged = jwt.encode(
        {"sub": "x", "exp": int(clock.now().timestamp()) + 600},
        "another-secret-that-is-long-enough-000",
        algorithm="HS256",
    )
    for token in (forged, "garbage", ""):
        response = await client.get("/units", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


async def test_integration_client_gets_only_the_scopes_it_asked_for(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    full = await _password_login(client, "shiji")
    assert (await client.get("/units/ent-hongxing", headers=full)).status_code == 200
    narrow = await _password_login(client, "shiji", scope="hazards:read")
    denied = await client.get("/units", headers=narrow)
    assert denied.status_code == 403
    assert "directory:read" in denied.json()["detail"]
    # Scopes it was never granted are not handed out.
    token = await client.post(
        "/auth/token",
        data={"username": "shiji", "password": DEMO_PASSWORD, "scope": "hazards:write"},
    )
    assert token.json()["scope"] == ""


async def test_integration_and_leaders_cannot_write_the_directory(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    body = {"kind": "village", "name": "新村", "area_code": "430723", "parent_id": "tw-daping"}
    for username in ("shiji", "fuxianzhang", "hongxing"):
        response = await client.post("/units", json=body, headers=await login(username))
        assert response.status_code == 403, username


async def test_county_office_creates_users_and_duplicates_conflict(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    user = {
        "username": "matoupu",
        "password": "a-long-password",
        "role": "township",
        "unit_id": "tw-matoupu",
    }
    created = await client.post("/users", json=user, headers=office)
    assert created.status_code == 201, created.text
    assert (await client.post("/users", json=user, headers=office)).status_code == 409
    headers = await login("matoupu", "a-long-password")
    assert (await client.get("/units/ent-jiancheng", headers=headers)).status_code == 200
    # Only the county office manages accounts.
    township = await login("daping")
    again = {**user, "username": "matoupu2"}
    assert (await client.post("/users", json=again, headers=township)).status_code == 403


async def test_locking_an_account_or_narrowing_scopes_takes_effect_at_once(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    users = {u["username"]: u for u in (await client.get("/users", headers=office)).json()}
    township = await _password_login(client, "daping")
    hazard = {
        "unit_id": "ent-chaoshi",
        "location": "二楼仓库",
        "description": "消防通道堆放杂物",
        "source": "self_check",
        "found_at": "2026-01-05T02:00:00Z",
    }
    # Intake folds the users-row check into its unit look-up: it too refuses at once.
    assert (await client.post("/hazards", json=hazard, headers=township)).status_code == 201
    locked = await client.patch(
        f"/users/{users['daping']['id']}", json={"active": False}, headers=office
    )
    assert locked.status_code == 200, locked.text
    assert (await client.get("/units/tw-daping", headers=township)).status_code == 401
    assert (await client.post("/hazards", json=hazard, headers=township)).status_code == 401
    refused = await client.post(
        "/auth/token", data={"username": "daping", "password": DEMO_PASSWORD}
    )
    assert refused.status_code == 401

    reset = {"active": True, "password": "a-new-password"}
    assert (
        await client.patch(f"/users/{users['daping']['id']}", json=reset, headers=office)
    ).status_code == 200
    old = await client.post("/auth/token", data={"username": "daping", "password": DEMO_PASSWORD})
    assert old.status_code == 401
    assert (await login("daping", "a-new-password"))["Authorization"].startswith("Bearer ")

    integration = await _password_login(client, "shiji")
    narrowed = await client.patch(
        f"/users/{users['shiji']['id']}", json={"scopes": ["hazards:read"]}, headers=office
    )
    assert narrowed.json()["scopes"] == ["hazards:read"]
    assert (await client.get("/units", headers=integration)).status_code == 403
    # Scopes are for integration clients only; unknown accounts are 404.
    assert (
        await client.patch(
            f"/users/{users['office']['id']}", json={"scopes": ["hazards:read"]}, headers=office
        )
    ).status_code == 422
    assert (
        await client.patch("/users/nobody", json={"active": False}, headers=office)
    ).status_code == 404
