"""Deadlines keep their kind and the calendar's provisional flag; rejections and publishing."""

from __future__ import annotations

from datetime import datetime

from shared.clock import local
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api, EventsLoader


async def test_deadline_beyond_the_official_calendar_is_marked_provisional(api: Api) -> None:
    ent = api.as_("hongxing")
    near = (await ent.post("/hazards", HAZARD)).json()["id"]
    far = (await ent.post("/hazards", HAZARD)).json()["id"]
    ok = await ent.post(
        f"/hazards/{near}/classify",
        {"level": "general", "deadline_days": 10, "deadline_kind": "working_days"},
    )
    assert ok.json()["deadline_provisional"] is False
    # 300 working days from March 2026 reach a year the State Council has not yet published.
    later = await ent.post(
        f"/hazards/{far}/classify",
        {"level": "general", "deadline_days": 300, "deadline_kind": "working_days"},
    )
    body = later.json()
    assert body["deadline_kind"] == "working_days" and body["deadline_days"] == 300
    assert body["deadline_at"] > "2027-03-01" and body["deadline_provisional"] is True


async def test_rejected_extension_keeps_the_deadline_and_is_kept_in_history(
    api: Api, outbox_events: EventsLoader
) -> None:
    ent, dept = api.as_("jiancheng"), api.as_("zhujian")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    classified = await ent.post(f"/hazards/{hid}/classify", {"level": "general"})
    deadline = classified.json()["deadline_at"]
    await ent.post(f"/hazards/{hid}/start-rectification", {})
    ext = (await ent.post(f"/hazards/{hid}/extensions", {"reason": "材料未到", "days": 5})).json()
    assert ext["status_label"] == "待审批"
    proposed = local(datetime.fromisoformat(ext["proposed_deadline_at"]))
    assert ext["proposed_deadline_label"] == (
        f"{proposed.year}年{proposed.month}月{proposed.day}日{proposed:%H:%M}"
    )
    rejected = await dept.post(
        f"/hazards/{hid}/extensions/{ext['id']}/decision",
        {"approve": False, "opinion": "理由不充分"},
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    twice = await dept.post(
        f"/hazards/{hid}/extensions/{ext['id']}/decision", {"approve": True, "opinion": "改为同意"}
    )
    assert twice.status_code == 409
    history = (await ent.get(f"/hazards/{hid}/extensions")).json()
    assert [(e["status"], e["status_label"], e["opinion"]) for e in history] == [
        ("rejected", "已驳回", "理由不充分")
    ]
    assert (await ent.get(f"/hazards/{hid}")).json()["hazard"]["deadline_at"] == deadline
    events = [e.payload["event"] for e in await outbox_events(hid)]
    assert events[-2:] == ["hazard.extension_requested", "hazard.extension_rejected"]


async def test_listing_is_published_by_the_county_office_only(api: Api) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]
    await office.post(
        f"/hazards/{hid}/classify", {"level": "major", "grade": 3, "criterion_id": "YH-04"}
    )
    unlisted = await office.post(f"/hazards/{hid}/listing/publish", {"published": True})
    assert unlisted.status_code == 409
    await ent.put(f"/hazards/{hid}/plan", PLAN)
    listed = await office.post(f"/hazards/{hid}/listing", {"notice_no": "演安委〔2026〕5号"})
    assert listed.json()["listing_published"] is False
    assert (await ent.post(f"/hazards/{hid}/listing/publish", {})).status_code == 403
    published = await office.post(f"/hazards/{hid}/listing/publish", {"published": True})
    assert published.status_code == 200 and published.json()["listing_published"] is True
    actions = [a["action"] for a in (await office.get(f"/hazards/{hid}/audit")).json()]
    assert actions[-1] == "hazard.listing_published"
