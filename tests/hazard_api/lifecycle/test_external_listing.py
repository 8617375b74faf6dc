"""市/省挂牌督办决定 relayed by the reporting link: the same authority and audit as the county
office's own listing, recorded as coming from the city/province, applied once however often
it is delivered."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.service import issue_token
from shared.contract import HazardEvent, HazardEventType
from shared.db import transaction
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api, EventsLoader

MAJOR = {"level": "major", "grade": 2, "criterion_id": "YH-05"}
DECISION = {
    "decided_by": "city",
    "decision_id": "msg_2Y7c9",
    "notice_no": "演市安委〔2026〕7号",
    "deadline_on": "2026-05-06",
}


@pytest.fixture
async def relay(api: Api, app: FastAPI) -> Api:
    """The reporting service's account: an integration client bound to the county."""
    clients = {"baosong": "hazards:read listing:external", "baosong_ro": "hazards:read"}
    async with transaction(app.state.sessionmaker) as session:
        for name, scopes in clients.items():
            user = User(
                id=f"u-{name}",
                username=name,
                password_hash="!no-password-login",
                role=UserRole.INTEGRATION.value,
                unit_id="county",
                person_id=None,
                scopes=scopes,
                active=True,
                created_at=app.state.clock.now(),
            )
            session.add(user)
            token = issue_token(
                user,
                scopes.split(),
                secret_key=app.state.settings.secret_key,
                clock=app.state.clock,
                minutes=60,
            )
            api.headers[name] = {"Authorization": f"Bearer {token}"}
    return api


async def _major_hazard(api: Api) -> str:
    hid = str((await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"])
    office = api.as_("office")
    assert (await office.post(f"/hazards/{hid}/classify", MAJOR)).status_code == 200
    assert (await office.put(f"/hazards/{hid}/plan", PLAN)).status_code == 200
    return hid


async def test_a_city_decision_is_applied_once_and_says_where_it_came_from(
    relay: Api, outbox_events: EventsLoader
) -> None:
    hid = await _major_hazard(relay)
    first = await relay.as_("baosong").post(f"/hazards/{hid}/listing/external", DECISION)
    assert first.status_code == 200, first.text
    again = await relay.as_("baosong").post(f"/hazards/{hid}/listing/external", DECISION)
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["listing_level"], body["listing_notice_no"]) == ("city", "演市安委〔2026〕7号")
    assert body["listing_body_name"] == "市安全生产委员会" and body["listing_body_id"] is None
    # The deadline ends with 6 May (Beijing).
    assert body["deadline_at"].startswith("2026-05-06T15:59:59")

    events = [HazardEvent.model_validate(e.payload) for e in await outbox_events(hid)]
    listed = [e for e in events if e.event == HazardEventType.LISTED]
    assert len(listed) == 1
    assert listed[0].note is not None and listed[0].note.startswith("市级挂牌督办决定")

    timeline = (await relay.as_("office").get(f"/hazards/{hid}/timeline")).json()
    entries = [t for t in timeline if t["detail"].get("action") == "hazard.listed"]
    assert len(entries) == 1
    assert entries[0]["actor_role_label"] == "对接系统"
    assert "市级决定，文号演市安委〔2026〕7号，经省市报送通道接收" in entries[0]["summary"]
    assert "msg_2Y7c9" in entries[0]["summary"]


async def test_the_province_raises_and_a_lower_decision_is_refused(relay: Api) -> None:
    hid = await _major_hazard(relay)
    baosong = relay.as_("baosong")
    assert (await baosong.post(f"/hazards/{hid}/listing/external", DECISION)).status_code == 200
    province = DECISION | {
        "decided_by": "province",
        "decision_id": "msg_prov_1",
        "notice_no": "省安委〔2026〕2号",
        "deadline_on": "2026-04-30",
    }
    raised = await baosong.post(f"/hazards/{hid}/listing/external", province)
    assert raised.status_code == 200, raised.text
    assert raised.json()["listing_level"] == "province"
    assert raised.json()["deadline_at"].startswith("2026-04-30T15:59:59")
    late_city = DECISION | {"decision_id": "msg_city_2", "notice_no": "演市安委〔2026〕8号"}
    refused = await baosong.post(f"/hazards/{hid}/listing/external", late_city)
    assert refused.status_code == 409 and "省安全生产委员会" in refused.json()["detail"]


async def test_who_may_relay_and_what_is_refused(relay: Api) -> None:
    hid = await _major_hazard(relay)
    url = f"/hazards/{hid}/listing/external"
    # A read-only integration client lacks the scope; the county office is not the relay.
    no_scope = await relay.as_("baosong_ro").post(url, DECISION)
    assert no_scope.status_code == 403 and "listing:external" in no_scope.json()["detail"]
    office = await relay.as_("office").post(url, DECISION)
    assert office.status_code == 403 and "执行市/省挂牌督办决定" in office.json()["detail"]
    # A hazard this county does not have: 404, like any missing hazard.
    missing = await relay.as_("baosong").post("/hazards/no-such-hazard/listing/external", DECISION)
    assert missing.status_code == 404
    # A county "decision" through the link, a deadline before the notice, a general hazard.
    county = await relay.as_("baosong").post(url, DECISION | {"decided_by": "county"})
    assert county.status_code == 422 and "市级或省级" in county.text
    past = await relay.as_("baosong").post(url, DECISION | {"deadline_on": "2026-01-01"})
    assert past.status_code == 422 and "整改期限" in past.text
    general = str((await relay.as_("hongxing").post("/hazards", HAZARD)).json()["id"])
    await relay.as_("office").post(f"/hazards/{general}/classify", {"level": "general"})
    refused = await relay.as_("baosong").post(f"/hazards/{general}/listing/external", DECISION)
    assert refused.status_code == 409 and "重大事故隐患" in refused.json()["detail"]
    assert (await relay.as_("office").get(f"/hazards/{hid}")).json()["hazard"][
        "listing_level"
    ] is None
