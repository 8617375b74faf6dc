"""/preferences and /deliveries hold phone numbers and who was told what: hazard_api's bearer
token is required, and a person sees only their own unless they are the county office."""

from __future__ import annotations

import jwt
from httpx import ASGITransport, AsyncClient

from services.hazard_api.auth.models import User
from services.hazard_api.auth.service import issue_token
from services.notification.main import create_app
from shared.contract import ChainRole, Urgency
from tests.notification.county import org_events, step_fired
from tests.notification.settings import SECRET, aliyun_config


def client_for(h) -> AsyncClient:
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime
    return AsyncClient(transport=ASGITransport(app=app), base_url="http://t")


async def notice_to_the_firm_and_the_township(h) -> None:
    await h.org(org_events())
    roles = [ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.TOWNSHIP_IN_CHARGE]
    await h.step(step_fired(h.clock, roles=roles, urgency=Urgency.URGENT, hazard_n=3))
    await h.settle()


async def test_no_token_a_forged_one_or_an_expired_one_is_refused(make_harness):
    h = await make_harness(default_channels=["sms"])
    await h.org(org_events())
    forged = jwt.encode(
        {"sub": "x", "role": "county_office", "exp": 4e9}, "a-key-that-is-not-the-deployment-key"
    )
    async with client_for(h) as client:
        for path in ("/deliveries", "/preferences/p-firm"):
            answer = await client.get(path)
            assert answer.status_code == 401 and "登录" in answer.json()["detail"]
            answer = await client.get(path, headers={"Authorization": f"Bearer {forged}"})
            assert answer.status_code == 401
        office = h.bearer()
        assert (await client.get("/preferences/p-firm", headers=office)).status_code == 200
        h.clock.advance(hours=2)  # the token was issued for 60 minutes
        assert (await client.get("/preferences/p-firm", headers=office)).status_code == 401


async def test_a_person_reads_only_what_was_sent_to_them(make_harness, aliyun):
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"])
    await notice_to_the_firm_and_the_township(h)
    async with client_for(h) as client:
        everyone = (await client.get("/deliveries", headers=h.bearer())).json()
        assert {row["person_id"] for row in everyone} == {"p-firm", "p-town-in"}

        firm = h.bearer("enterprise", person_id="p-firm")
        own = (await client.get("/deliveries", headers=firm)).json()
        assert [row["person_id"] for row in own] == ["p-firm"]
        other = await client.get("/deliveries", params={"person_id": "p-town-in"}, headers=firm)
        assert other.status_code == 403 and "本人" in other.json()["detail"]

        unbound = await client.get("/deliveries", headers=h.bearer("department"))
        assert unbound.status_code == 403 and "未绑定人员" in unbound.json()["detail"]

        province = h.bearer("integration", scopes=("deliveries:read",))
        assert len((await client.get("/deliveries", headers=province)).json()) == 2
        nosy = h.bearer("integration", scopes=("hazards:read",))
        assert (await client.get("/deliveries", headers=nosy)).status_code == 403


async def test_preferences_are_ones_own_or_the_county_office_s(make_harness):
    h = await make_harness()
    await h.org(org_events())
    body = {"channels": ["email"], "digest_window_s": 0}
    async with client_for(h) as client:
        town = h.bearer("township", person_id="p-town")
        refused = await client.put("/preferences/p-firm", json=body, headers=town)
        assert refused.status_code == 403
        assert (await client.get("/preferences/p-firm", headers=h.bearer())).json()["is_default"]
        assert (await client.put("/preferences/p-town", json=body, headers=town)).status_code == 200
        office = await client.put("/preferences/p-firm", json=body, headers=h.bearer())
        assert office.status_code == 200 and office.json()["channels"] == ["email"]


async def test_a_token_from_hazard_api_is_accepted(make_harness, clock):
    h = await make_harness()
    await h.org(org_events())
    user = User(id="u-1", role="leader", unit_id="u-county", person_id="p-town", scopes="")
    token = issue_token(user, [], secret_key=SECRET, clock=clock, minutes=30)
    headers = {"Authorization": f"Bearer {token}"}
    async with client_for(h) as client:
        assert (await client.get("/preferences/p-town", headers=headers)).status_code == 200
        assert (await client.get("/preferences/p-firm", headers=headers)).status_code == 403
