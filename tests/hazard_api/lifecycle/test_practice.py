"""County practice through the kernel: proposals, reclassification, voiding, listing
publication, the facts events carry, and one transaction per transition."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import func, select

from services.hazard_api.acceptance.models import Acceptance
from services.hazard_api.audit.models import AuditRow
from shared.clock import TestClock
from shared.contract import HazardEvent
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api, EventsLoader

MAJOR = {"level": "major", "grade": 3, "criterion_id": "YH-05"}  # 烟花爆竹, ent-hongxing


async def _events(outbox_events: EventsLoader, hid: str) -> list[HazardEvent]:
    return [HazardEvent.model_validate(e.payload) for e in await outbox_events(hid)]


async def test_an_enterprise_proposes_a_major_hazard_and_the_county_office_judges_it(
    api: Api, outbox_events: EventsLoader
) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    refused = await ent.post(f"/hazards/{hid}/classify", MAJOR)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "当前账号角色无权判定为重大事故隐患：企业可提出重大事故隐患判定建议，"
        "由行业监管部门或县安委办判定"
    )
    proposal = {"grade": 3, "criterion_id": "YH-05", "reason": "库存药量超核定量一倍以上"}
    proposed = await ent.post(f"/hazards/{hid}/propose-major", proposal)
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert (body["status"], body["level"]) == ("reported", None)
    assert (body["proposed_grade"], body["proposed_criterion_id"]) == (3, "YH-05")
    judged = await office.post(f"/hazards/{hid}/classify", MAJOR)
    assert judged.status_code == 200 and judged.json()["level"] == "major"
    actions = [a["action"] for a in (await office.get(f"/hazards/{hid}/audit")).json()]
    assert actions == ["hazard.reported", "hazard.major_proposed", "hazard.classified"]
    # A proposal is not an event: nothing to chase beyond the classification itself.
    assert [e.event.value for e in await _events(outbox_events, hid)] == [
        "hazard.reported",
        "hazard.classified",
    ]


async def test_an_inspector_found_hazard_is_not_the_enterprises_to_classify_or_fix(
    api: Api,
) -> None:
    ent, township = api.as_("hongxing"), api.as_("daping")
    found = HAZARD | {"source": "inspection", "unit_id": "ent-hongxing"}
    hid = (await township.post("/hazards", found)).json()["id"]
    general = await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
    assert general.status_code == 403 and "检查发现的隐患，企业无权" in general.json()["detail"]
    photo = (await ent.upload(hid, purpose="acceptance")).json()
    on_spot = await ent.post(
        f"/hazards/{hid}/rectified-on-spot", {"summary": "已整改", "attachment_ids": [photo["id"]]}
    )
    assert on_spot.status_code == 403 and "无权立查立改" in on_spot.json()["detail"]
    # The township classifies its territory's general hazard and sets the deadline.
    ok = await township.post(f"/hazards/{hid}/classify", {"level": "general", "deadline_days": 7})
    assert ok.status_code == 200 and ok.json()["deadline_days"] == 7


async def test_reclassification_and_voiding_carry_their_reason_and_are_evented(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    await ent.post(f"/hazards/{hid}/classify", {"level": "general", "deadline_days": 10})
    await ent.post(f"/hazards/{hid}/start-rectification", {})
    assert (
        await ent.post(f"/hazards/{hid}/reclassify", MAJOR | {"reason": "企业自改"})
    ).status_code == 403
    same = await office.post(f"/hazards/{hid}/reclassify", {"level": "general", "reason": "x"})
    assert same.status_code == 409 and "改判须改变隐患等级" in same.json()["detail"]
    clock.advance(days=2)
    raised = await office.post(f"/hazards/{hid}/reclassify", MAJOR | {"reason": "复核认定为重大"})
    assert raised.status_code == 200, raised.text
    body = raised.json()
    # No plan yet: back to 已判定 until the six-part plan is in; a new deadline from today.
    assert (body["level"], body["grade"], body["status"]) == ("major", 3, "classified")
    assert body["deadline_days"] == 60 and body["original_deadline_at"] == body["deadline_at"]
    stats = {"year": 2026}
    found = (await office.get("/statistics/hazards", params=stats)).json()["total"]["found"]
    void = await office.post(f"/hazards/{hid}/void", {"reason": "与YH编号重复登记"})
    assert void.status_code == 200 and void.json()["status"] == "voided"
    assert void.json()["void_reason"] == "与YH编号重复登记"
    # Voided is terminal.
    for path, payload in [("start-rectification", {}), ("void", {"reason": "再作废"})]:
        again = await office.post(f"/hazards/{hid}/{path}", payload)
        assert again.status_code == 409 and "当前为“已作废”" in again.json()["detail"]
    # A duplicate or mistaken report is not counted as a hazard found.
    after = (await office.get("/statistics/hazards", params=stats)).json()["total"]["found"]
    assert after == found - 1
    events = await _events(outbox_events, hid)
    assert [e.event.value for e in events][-2:] == ["hazard.reclassified", "hazard.voided"]
    assert (events[-2].note, events[-1].note) == ("复核认定为重大", "与YH编号重复登记")
    assert events[-1].facts.status == "voided"


async def test_listing_publication_and_the_new_facts_reach_the_events(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    ent, office, office2 = api.as_("hongxing"), api.as_("office"), api.as_("office2")
    hid = (await ent.post("/hazards", HAZARD | {"source": "complaint"})).json()["id"]
    await office.post(f"/hazards/{hid}/classify", MAJOR)
    await ent.put(f"/hazards/{hid}/plan", PLAN)
    await office.post(f"/hazards/{hid}/listing", {"notice_no": "演安委〔2026〕3号"})
    clock.advance(days=1)
    published = await office.post(f"/hazards/{hid}/listing/publish", {"published": True})
    assert published.status_code == 200, published.text
    assert published.json()["listing_published_at"] is not None
    twice = await office.post(f"/hazards/{hid}/listing/publish", {"published": True})
    assert twice.status_code == 409
    await ent.post(f"/hazards/{hid}/start-rectification", {})
    ext = (await ent.post(f"/hazards/{hid}/extensions", {"reason": "雨季", "days": 10})).json()
    await office.post(
        f"/hazards/{hid}/extensions/{ext['id']}/decision", {"approve": True, "opinion": "同意"}
    )
    photo = (await ent.upload(hid, purpose="acceptance")).json()
    await ent.post(
        f"/hazards/{hid}/rectification-report", {"summary": "完成", "attachment_ids": [photo["id"]]}
    )
    await office2.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "合格"})

    by_event = {e.event.value: e.facts for e in await _events(outbox_events, hid)}
    reported = by_event["hazard.reported"]
    assert reported.source == "complaint" and reported.reported_at is not None
    assert by_event["hazard.listed"].listing_published_at is None
    assert by_event["hazard.listing_published"].listing_published_at is not None
    assert by_event["hazard.extension_requested"].extension_requested_at is not None
    assert by_event["hazard.extension_approved"].extension_requested_at is None
    assert by_event["hazard.rectification_reported"].accepted_at is None
    assert by_event["hazard.accepted"].accepted_at is not None


async def test_a_failing_change_leaves_nothing_behind(api: Api, app: FastAPI) -> None:
    """The acceptance round is written before the evidence is checked: the kernel's one
    transaction takes both back."""
    ent = api.as_("hongxing")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
    await ent.post(f"/hazards/{hid}/start-rectification", {})
    bad = await ent.post(
        f"/hazards/{hid}/rectification-report", {"summary": "完成", "attachment_ids": ["nope"]}
    )
    assert bad.status_code == 422, bad.text
    async with app.state.sessionmaker() as session:
        rounds = await session.scalar(
            select(func.count()).select_from(Acceptance).where(Acceptance.hazard_id == hid)
        )
        audit = await session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.entity_id == hid)
        )
    assert (rounds, audit) == (0, 3)
    assert (await ent.get(f"/hazards/{hid}")).json()["hazard"]["status"] == "rectifying"
