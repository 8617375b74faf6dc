"""A locked account, or a token issued before a password change, is refused here from the
moment hazard_api's `org.account_changed` reaches this service."""

from __future__ import annotations

from typing import Any

from httpx import ASGITransport, AsyncClient

from services.notification.main import create_app
from shared.bearer import encode_token
from shared.contract import AccountChanged
from tests.notification.county import org_events
from tests.notification.settings import SECRET


def client_for(h: Any) -> AsyncClient:
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime
    return AsyncClient(transport=ASGITransport(app=app), base_url="http://t")


def bearer(h: Any, user_id: str) -> dict[str, str]:
    claims: dict[str, Any] = {"sub": user_id, "role": "county_office", "person_id": None}
    token = encode_token(claims, secret_key=SECRET, clock=h.clock, minutes=8 * 60)
    return {"Authorization": f"Bearer {token}"}


async def test_a_locked_account_is_refused_at_its_next_request(make_harness: Any) -> None:
    h = await make_harness()
    await h.org(org_events())
    office, other = bearer(h, "u-office"), bearer(h, "u-other")
    async with client_for(h) as client:
        assert (await client.get("/preferences/p-firm", headers=office)).status_code == 200
        h.clock.advance(minutes=5)
        await h.org(
            [AccountChanged(user_id="u-office", active=False, tokens_valid_from=h.clock.now())]
        )
        refused = await client.get("/preferences/p-firm", headers=office)
        assert refused.status_code == 401 and "重新登录" in refused.json()["detail"]
        # Even a token issued after the lock: the account is locked.
        assert (
            await client.get("/preferences/p-firm", headers=bearer(h, "u-office"))
        ).status_code == 401
        assert (await client.get("/preferences/p-firm", headers=other)).status_code == 200


async def test_a_new_password_refuses_only_the_older_tokens(make_harness: Any) -> None:
    h = await make_harness()
    await h.org(org_events())
    old = bearer(h, "u-office")
    h.clock.advance(minutes=5)
    changed_at = h.clock.now()
    await h.org([AccountChanged(user_id="u-office", active=True, tokens_valid_from=changed_at)])
    h.clock.advance(seconds=1)
    new = bearer(h, "u-office")
    async with client_for(h) as client:
        assert (await client.get("/preferences/p-firm", headers=old)).status_code == 401
        assert (await client.get("/preferences/p-firm", headers=new)).status_code == 200
