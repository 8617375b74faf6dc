"""Late and concealed reporting (迟报, 漏报, 瞒报 review), the sign-off and the statutory clocks
of an accident, with a moved clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from shared.clock import TestClock
from shared.contract import AccidentEvent
from tests.hazard_api.conftest import Login
from tests.hazard_api.lifecycle.conftest import Api, EventsLoader, _As
from tests.hazard_api.lifecycle.test_accident_class import quick_report


def clocks_of(body: dict[str, Any]) -> dict[str, str]:
    return {c["key"]: c["state"] for c in body["accident"]["clocks"]}


async def flags(outbox_events: EventsLoader, aid: str) -> list[str]:
    events = await outbox_events(aid)
    parsed = [e.typed_payload() for e in events]
    assert all(isinstance(p, AccidentEvent) for p in parsed)
    return [p.event.value for p in parsed if isinstance(p, AccidentEvent)]


async def test_late_after_sixty_minutes_not_before(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    ent = api.as_("hongxing")
    in_time = quick_report(clock, occurred_at=(clock.now() - timedelta(minutes=59)).isoformat())
    r = await ent.post("/accidents", in_time)
    assert r.status_code == 201, r.text
    assert r.json()["late_minutes"] is None and r.json()["flags"] == []
    assert await flags(outbox_events, r.json()["id"]) == ["accident.reported"]

    late = quick_report(clock, occurred_at=(clock.now() - timedelta(minutes=61)).isoformat())
    r = await ent.post("/accidents", late)
    body = r.json()
    assert body["late_minutes"] == 61
    assert body["flags"] == ["迟报（事故发生后61分钟报告）"]
    assert await flags(outbox_events, body["id"]) == ["accident.reported", "accident.late_flagged"]


async def test_incomplete_first_report_is_flagged_until_completed(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    ent = api.as_("hongxing")
    report = quick_report(clock)
    for key in ("deaths", "missing", "serious_injuries"):
        del report[key]
    r = await ent.post("/accidents", report)
    body = r.json()
    assert body["missing_items"] == ["伤亡人数（死亡、失踪、重伤）"]
    assert "漏报：伤亡人数（死亡、失踪、重伤）" in body["flags"]
    assert await flags(outbox_events, body["id"]) == [
        "accident.reported",
        "accident.incomplete_flagged",
    ]
    follow = {
        "kind": "follow_up",
        "account": "核实伤亡情况",
        "reporter_name": "张红星",
        "reporter_phone": "13800001001",
        "deaths": 0,
        "missing": 0,
        "serious_injuries": 1,
    }
    r = await ent.post(f"/accidents/{body['id']}/reports", follow)
    assert r.status_code == 201, r.text
    a = (await ent.get(f"/accidents/{body['id']}")).json()["accident"]
    assert a["missing_items"] == []


async def test_media_first_opens_a_concealment_review(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    office, ent = api.as_("office"), api.as_("hongxing")
    r = await office.post("/accidents", quick_report(clock, channel="media", deaths=1))
    body = r.json()
    assert body["concealment_review"] is True
    assert "疑似瞒报，待县安委办核查" in body["flags"]
    assert await flags(outbox_events, body["id"]) == [
        "accident.reported",
        "accident.concealment_review_opened",
    ]
    # The enterprise may not record the finding; the county office does, with evidence.
    finding = {
        "kind": "concealment",
        "note": "企业未在1小时内报告",
        "evidence": "某应急〔2026〕3号",
    }
    r = await ent.post(f"/accidents/{body['id']}/findings", finding)
    assert r.status_code == 403
    r = await office.post(f"/accidents/{body['id']}/findings", finding)
    assert r.status_code == 200, r.text
    assert r.json()["concealment_review"] is False and "认定瞒报" in r.json()["flags"]
    # An enterprise reporting itself opens none.
    r = await ent.post("/accidents", quick_report(clock))
    assert r.json()["concealment_review"] is False


async def test_bad_input_is_a_clear_4xx(api: Api, clock: TestClock) -> None:
    ent = api.as_("hongxing")
    future = quick_report(clock, occurred_at=(clock.now() + timedelta(hours=1)).isoformat())
    r = await ent.post("/accidents", future)
    assert r.status_code == 422 and "事故发生时间" in r.text
    r = await ent.post("/accidents", quick_report(clock, unit_id="ent-huayu"))
    assert r.status_code == 404 and "事故单位" in r.json()["detail"]
    r = await api.as_("office").post("/accidents", quick_report(clock, unit_id="tw-daping"))
    assert r.status_code == 422 and "生产经营单位" in r.text
    r = await ent.post("/accidents", quick_report(clock, deaths=-1))
    assert r.status_code == 422
    # A mistyped year (1990 for this year) would tell the whole chain to rescue at once.
    typo = clock.now().replace(year=1990).isoformat()
    r = await ent.post("/accidents", quick_report(clock, occurred_at=typo))
    assert r.status_code == 422 and "事故发生时间早于接报时间一年以上，请核对年份" in r.text
    a_year_ago = (clock.now() - timedelta(days=360)).isoformat()
    r = await ent.post("/accidents", quick_report(clock, occurred_at=a_year_ago))
    assert r.status_code == 201, r.text  # a concealed accident found months later


async def test_upward_report_clock_and_sign_off(api: Api, clock: TestClock, login: Login) -> None:
    office, office2, daping = api.as_("office"), api.as_("office2"), api.as_("daping")
    r = await daping.post("/accidents", quick_report(clock, channel="phone", deaths=1))
    aid = r.json()["id"]
    detail = (await office.get(f"/accidents/{aid}")).json()
    assert clocks_of(detail)["upward_report"] == "pending"
    assert "并报省级" not in detail["accident"]["clocks"][0]["title"]
    report_id = detail["reports"][0]["id"]
    # Not reviewed yet: it cannot be issued.
    r = await office.post(f"/accidents/{aid}/reports/{report_id}/issue")
    assert r.status_code == 409 and "核稿" in r.json()["detail"]
    clock.advance(timedelta(hours=2, minutes=1))
    office = _As(api.client, await login("office"))
    office2 = _As(api.client, await login("office2"))
    assert clocks_of((await office.get(f"/accidents/{aid}")).json())["upward_report"] == "overdue"
    assert (await office.post(f"/accidents/{aid}/reports/{report_id}/review")).status_code == 200
    r = await office.post(f"/accidents/{aid}/reports/{report_id}/issue")
    assert r.status_code == 409 and "同一账号" in r.json()["detail"]
    r = await office2.post(f"/accidents/{aid}/reports/{report_id}/issue")
    assert r.status_code == 200 and r.json()["signoff"] == "issued"
    assert clocks_of((await office.get(f"/accidents/{aid}")).json())["upward_report"] == "done"


async def test_larger_accidents_also_go_to_the_province(api: Api, clock: TestClock) -> None:
    r = await api.as_("office").post("/accidents", quick_report(clock, deaths=3))
    upward = r.json()["clocks"][0]
    assert upward["key"] == "upward_report" and "并报省级" in upward["title"]


async def test_supplement_window(api: Api, clock: TestClock, login: Login) -> None:
    r = await api.as_("office").post("/accidents", quick_report(clock, accident_type="fire"))
    aid = r.json()["id"]
    assert {c["key"]: c["state"] for c in r.json()["clocks"]}["supplement_window"] == "pending"
    clock.advance(timedelta(days=7, minutes=1))
    office = _As(api.client, await login("office"))
    assert clocks_of((await office.get(f"/accidents/{aid}")).json())["supplement_window"] == "done"


async def test_investigation_sixty_plus_sixty_and_decision(
    api: Api, clock: TestClock, login: Login
) -> None:
    r = await api.as_("office").post("/accidents", quick_report(clock, deaths=1))
    aid = r.json()["id"]

    async def office() -> _As:
        return _As(api.client, await login("office"))

    clock.advance(timedelta(days=59))
    o = await office()
    assert clocks_of((await o.get(f"/accidents/{aid}")).json())["investigation_report"] == "pending"
    clock.advance(timedelta(days=1, minutes=1))
    o = await office()
    assert clocks_of((await o.get(f"/accidents/{aid}")).json())["investigation_report"] == "overdue"
    ext = {"days": 61, "approval_no": "某政函〔2026〕5号", "reason": "需技术鉴定"}
    assert (await o.post(f"/accidents/{aid}/investigation/extension", ext)).status_code == 422
    r = await o.post(f"/accidents/{aid}/investigation/extension", ext | {"days": 60})
    assert r.status_code == 200, r.text
    assert {c["key"]: c["state"] for c in r.json()["clocks"]}["investigation_report"] == "pending"
    r = await o.post(f"/accidents/{aid}/investigation/extension", ext | {"days": 10})
    assert r.status_code == 409 and "只能延长一次" in r.json()["detail"]
    investigation = {"cause": "违规装药", "report_no": "某调〔2026〕1号", "evidence": "调查报告"}
    r = await o.post(f"/accidents/{aid}/investigation", investigation)
    assert r.status_code == 200, r.text
    states = {c["key"]: c["state"] for c in r.json()["clocks"]}
    assert states["investigation_report"] == "done" and states["decision"] == "pending"
    # 批复 within 15 days; only an especially major accident's may be extended.
    r = await o.post(f"/accidents/{aid}/decision/extension", ext | {"days": 30})
    assert r.status_code == 409 and "特别重大" in r.json()["detail"]
    clock.advance(timedelta(days=15, minutes=1))
    o = await office()
    assert clocks_of((await o.get(f"/accidents/{aid}")).json())["decision"] == "overdue"
    r = await o.post(
        f"/accidents/{aid}/decision", {"decision_no": "某政函〔2026〕9号", "summary": "同意"}
    )
    assert r.status_code == 200 and r.json()["status"] == "decided"
    assert {c["key"]: c["state"] for c in r.json()["clocks"]}["decision"] == "done"


async def test_especially_major_decision_thirty_plus_thirty(
    api: Api, clock: TestClock, login: Login
) -> None:
    r = await api.as_("office").post("/accidents", quick_report(clock, deaths=30))
    aid = r.json()["id"]
    o = api.as_("office")
    investigation = {"cause": "爆炸", "report_no": "国调〔2026〕1号", "evidence": "调查报告"}
    await o.post(f"/accidents/{aid}/investigation", investigation)
    clock.advance(timedelta(days=29))
    o = _As(api.client, await login("office"))
    assert clocks_of((await o.get(f"/accidents/{aid}")).json())["decision"] == "pending"
    clock.advance(timedelta(days=1, minutes=1))
    o = _As(api.client, await login("office"))
    assert clocks_of((await o.get(f"/accidents/{aid}")).json())["decision"] == "overdue"
    ext = {"days": 30, "approval_no": "国函〔2026〕2号", "reason": "情况复杂"}
    r = await o.post(f"/accidents/{aid}/decision/extension", ext)
    assert r.status_code == 200, r.text
    assert {c["key"]: c["state"] for c in r.json()["clocks"]}["decision"] == "pending"


async def test_an_integration_client_without_accidents_write_may_not_report(
    client: httpx.AsyncClient, login: Login, api: Api, clock: TestClock
) -> None:
    """快报 by an integrating system needs `accidents:write`, whether its token asked for less
    or its account no longer holds it; refused in Chinese and nothing recorded."""
    office = api.as_("office")
    report = quick_report(clock, channel="higher_authority")
    narrow = await login("shiji", scope="directory:read hazards:read")
    refused = await client.post("/accidents", json=report, headers=narrow)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "令牌未获授权：需要 accidents:write"
    assert (await office.get("/accidents")).json() == []

    full = await login("shiji")
    users = {u["username"]: u for u in (await office.get("/users")).json()}
    shiji = f"/users/{users['shiji']['id']}"
    assert (await office.patch(shiji, {"scopes": ["directory:read", "hazards:read"]})).is_success
    refused = await client.post("/accidents", json=report, headers=full)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "令牌未获授权：需要 accidents:write"
    # The same client holding the scope reports: the refusal is the scope's, not the role's.
    assert (await office.patch(shiji, {"scopes": ["accidents:write"]})).is_success
    reported = await client.post("/accidents", json=report, headers=full)
    assert reported.status_code == 201, reported.text
    assert [a["id"] for a in (await office.get("/accidents")).json()] == [reported.json()["id"]]


async def test_the_audit_chain_says_who_did_what_and_stays_in_scope(
    api: Api, clock: TestClock
) -> None:
    office, office2 = api.as_("office"), api.as_("office2")
    aid = (await api.as_("hongxing").post("/accidents", quick_report(clock))).json()["id"]
    report_id = (await office.get(f"/accidents/{aid}")).json()["reports"][0]["id"]
    await api.as_("daping").post(f"/accidents/{aid}/reports/{report_id}/review")
    assert (await office2.post(f"/accidents/{aid}/reports/{report_id}/issue")).status_code == 200
    chain = (await office.get(f"/accidents/{aid}/audit")).json()
    assert [(e["seq"], e["action"], e["actor_role"]) for e in chain] == [
        (1, "accident.reported", "enterprise"),
        (2, "accident.report_reviewed", "township"),
        (3, "accident.report_issued", "county_office"),
    ]
    me2 = (await office2.get("/auth/me")).json()
    assert chain[2]["actor_user_id"] == me2["id"]
    assert (await api.as_("hongxing").get(f"/accidents/{aid}/audit")).status_code == 200
    other = await api.as_("huayu").get(f"/accidents/{aid}/audit")
    assert other.status_code == 404, other.text
    assert (await office.get("/accidents/nope/audit")).status_code == 404


async def test_only_a_signed_off_report_is_issued_with_its_own_contents(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    """`accident.report_issued` (what reporting sends upward) carries the report signed off,
    not the accident's latest figures: the 快报 signed off after a 续报 that moved the class
    still says 1 death; the 续报's own 签发 says 3 and that it moved the class."""
    ent, office, office2 = api.as_("hongxing"), api.as_("office"), api.as_("office2")
    aid = (await ent.post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    follow = {
        "kind": "follow_up",
        "account": "又有2名重伤人员经抢救无效死亡",
        "reporter_name": "张红星",
        "reporter_phone": "13800001001",
        "deaths": 3,
    }
    assert (await ent.post(f"/accidents/{aid}/reports", follow)).status_code == 201
    first, second = [r["id"] for r in (await office.get(f"/accidents/{aid}")).json()["reports"]]
    assert await flags(outbox_events, aid) == ["accident.reported", "accident.class_changed"]
    for rid in (first, second):
        assert (await office.post(f"/accidents/{aid}/reports/{rid}/review")).status_code == 200
        assert (await office2.post(f"/accidents/{aid}/reports/{rid}/issue")).status_code == 200
    issued = [
        p
        for p in (e.typed_payload() for e in await outbox_events(aid))
        if isinstance(p, AccidentEvent) and p.event.value == "accident.report_issued"
    ]
    reports = [p.report for p in issued]
    assert [(r.seq, r.kind, r.deaths, r.moved_class) for r in reports if r] == [
        (1, "first", 1, False),
        (2, "follow_up", 3, True),
    ]
    assert all(p.facts.deaths == 3 and p.facts.accident_class == "larger" for p in issued)
    assert [p.report.account for p in issued if p.report] == [
        "二号工房装药时发生爆炸，引发火灾",
        "又有2名重伤人员经抢救无效死亡",
    ]
