"""The city's and the province's messages: verified, applied in hazard_api through its API
once per message id, refused and recorded when the signature is wrong, 404 for a hazard the
county does not have; a request for information becomes a county-office task."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from services.reporting.db import outbox_tables
from services.reporting.hazard_link import HazardLink
from services.reporting.inbound.models import InboundMessage, InboundRejection
from services.reporting.signing import signed_headers
from shared.contract import Envelope
from tests.hazard_api.conftest import seeded_templates  # noqa: F401 - a fixture
from tests.reporting.hazard_side import (
    CITY_SECRET,
    STRANGER,
    Sides,
    sides_fixture,  # noqa: F401 - the `sides` fixture
)

DECISION = {
    "type": "listing-decision",
    "decided_by": "city",
    "notice_no": "演市安委〔2026〕7号",
    "deadline_on": "2026-05-06",
}


async def _count(s: Sides, table: type[InboundMessage] | type[InboundRejection]) -> int:
    async with s.runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _listed_entries(s: Sides, hid: str) -> list[dict[str, object]]:
    timeline = (await s.hazard.get(f"/hazards/{hid}/timeline")).json()
    return [t for t in timeline if t["detail"].get("action") == "hazard.listed"]


async def test_a_city_decision_sent_twice_is_applied_once(sides: Sides) -> None:
    s = sides
    hid = await s.major_hazard()
    body = DECISION | {"hazard_id": hid}
    first = await s.post_signed(body, "msg_city_0001")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "applied" and first.json()["listing_level"] == "city"
    again = await s.post_signed(body, "msg_city_0001")
    assert (again.status_code, again.json()) == (200, first.json())
    # The same decision under another message id (a resend by hand) changes nothing either.
    other = await s.post_signed(body, "msg_city_0002")
    assert other.status_code == 200, other.text

    detail = (await s.hazard.get(f"/hazards/{hid}")).json()["hazard"]
    assert (detail["listing_level"], detail["listing_notice_no"]) == ("city", "演市安委〔2026〕7号")
    assert detail["deadline_at"].startswith("2026-05-06T15:59:59")
    entries = await _listed_entries(s, hid)
    assert len(entries) == 1
    assert entries[0]["actor_role_label"] == "对接系统"
    assert "市级决定" in str(entries[0]["summary"]) and "msg_city_0001" in str(
        entries[0]["summary"]
    )
    assert await _count(s, InboundMessage) == 2


async def test_a_bad_signature_is_refused_with_401_and_recorded(sides: Sides) -> None:
    s = sides
    hid = await s.major_hazard()
    body = DECISION | {"hazard_id": hid}
    forged = await s.post_signed(body, "msg_forged_1", secrets=[STRANGER])
    assert forged.status_code == 401 and "签名" in forged.json()["detail"]
    # Headers signed for one body sent with another; a request without the headers.
    raw = json.dumps(body).encode()
    now = int(s.clock.now().timestamp())
    headers = signed_headers([CITY_SECRET], "msg_tampered", now, raw).as_dict()
    changed = json.dumps(body | {"notice_no": "伪造〔2026〕1号"}).encode()
    tampered = await s.client.post("/inbound", content=changed, headers=headers)
    assert tampered.status_code == 401
    unsigned = await s.client.post("/inbound", json=body)
    assert unsigned.status_code == 401
    async with s.runtime.sessionmaker() as session:
        rejected = list(
            await session.scalars(select(InboundRejection).order_by(InboundRejection.id))
        )
    assert [r.claimed_webhook_id for r in rejected] == ["msg_forged_1", "msg_tampered", None]
    assert rejected[0].reason == "签名无效" and rejected[0].headers["webhook-id"] == "msg_forged_1"
    assert await _count(s, InboundMessage) == 0
    assert await _listed_entries(s, hid) == []
    # The genuine message, with the id a forgery tried, is still applied.
    genuine = await s.post_signed(body, "msg_forged_1")
    assert genuine.status_code == 200, genuine.text
    assert len(await _listed_entries(s, hid)) == 1


async def test_a_decision_for_a_hazard_outside_the_county_is_404(sides: Sides) -> None:
    s = sides
    body = DECISION | {"hazard_id": "h-of-another-county"}
    first = await s.post_signed(body, "msg_elsewhere")
    assert first.status_code == 404 and first.json()["detail"] == "本县无此隐患"
    again = await s.post_signed(body, "msg_elsewhere")
    assert (again.status_code, again.json()) == (404, first.json())
    # A wrong body is a 422 naming the field; a lower level than the listing is hazard_api's 409.
    bad = await s.post_signed(DECISION | {"hazard_id": "x", "deadline_on": "soon"}, "msg_bad")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("deadline_on")
    hid = await s.major_hazard()
    province = DECISION | {"hazard_id": hid, "decided_by": "province", "notice_no": "省〔2026〕1号"}
    assert (await s.post_signed(province, "msg_prov")).status_code == 200
    lower = await s.post_signed(DECISION | {"hazard_id": hid}, "msg_city_late")
    assert lower.status_code == 409 and "省安全生产委员会" in lower.json()["detail"]


async def test_a_request_for_information_becomes_one_county_office_task(sides: Sides) -> None:
    s = sides
    request = {
        "type": "information-request",
        "requested_by": "province",
        "request_no": "省安办函〔2026〕3号",
        "subject": "报送烟花爆竹企业重大隐患整改进展",
        "detail": "请报送红星烟花重大隐患的整改方案和资金落实情况",
        "reply_by": "2026-03-12",
    }
    for _ in range(2):
        answer = await s.post_signed(request, "msg_req_1")
        assert answer.status_code == 202 and answer.json()["status"] == "recorded"
    o = outbox_tables.outbox
    async with s.runtime.sessionmaker() as session:
        rows = list(await session.scalars(select(o.c.value)))
    alerts = [Envelope.model_validate_json(v).payload for v in rows]
    assert len(alerts) == 1
    assert alerts[0]["kind"] == "info_requested" and alerts[0]["subject_id"] == "msg_req_1"
    assert "省级要求报送情况（省安办函〔2026〕3号）" in alerts[0]["detail"]
    assert "2026年03月12日前报送" in alerts[0]["detail"]


async def test_hazard_api_down_answers_503_and_the_resend_is_applied(sides: Sides) -> None:
    s = sides
    hid = await s.major_hazard()
    inbound = s.runtime.incoming.inbound
    working = inbound.link
    settings = s.runtime.settings.model_copy(update={"hazard_api_url": "http://127.0.0.1:9"})
    inbound.link = HazardLink(settings, s.clock)  # nothing listens there
    try:
        down = await s.post_signed(DECISION | {"hazard_id": hid}, "msg_while_down")
    finally:
        await inbound.link.aclose()
        inbound.link = working
    assert down.status_code == 503 and "稍后重发" in down.json()["detail"]
    assert await _count(s, InboundMessage) == 0
    resent = await s.post_signed(DECISION | {"hazard_id": hid}, "msg_while_down")
    assert resent.status_code == 200, resent.text
    assert len(await _listed_entries(s, hid)) == 1
