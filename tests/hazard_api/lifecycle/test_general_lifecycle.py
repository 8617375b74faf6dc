"""A general hazard, end to end through the HTTP API, by the roles that do it in practice."""

from __future__ import annotations

from datetime import datetime

from shared.clock import TestClock
from shared.contract import HazardEvent
from tests.hazard_api.lifecycle.conftest import HAZARD, PDF, Api, EventsLoader


async def test_general_hazard_reported_fixed_accepted_closed(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    ent, dept, dept2 = api.as_("jiancheng"), api.as_("zhujian"), api.as_("zhujian2")
    # Found by the enterprise itself: it classifies and sets the deadline (≤ 30 days).
    found = {"description": "脚手架连墙件缺失", "source": "self_check"}
    created = await ent.post("/hazards", HAZARD | found)
    assert created.status_code == 201, created.text
    h = created.json()
    hid = h["id"]
    assert (h["status"], h["unit_id"], h["unit_name"]) == (
        "reported",
        "ent-jiancheng",
        "建成建筑工程有限公司",
    )
    assert h["township_id"] == "tw-matoupu" and h["department_ids"] == ["dep-zhujian"]

    classified = await ent.post(
        f"/hazards/{hid}/classify",
        {"level": "general", "deadline_days": 5, "deadline_kind": "working_days"},
    )
    assert classified.status_code == 200, classified.text
    body = classified.json()
    assert body["status"] == "classified" and body["deadline_kind"] == "working_days"
    # Friday 2026-03-06 + 5 working days = Friday 2026-03-13, end of day in Shanghai.
    assert (
        datetime.fromisoformat(body["deadline_at"]).isoformat()
        == "2026-03-13T15:59:59.999999+00:00"
    )
    assert body["deadline_provisional"] is False

    assert (await ent.post(f"/hazards/{hid}/start-rectification", {})).json()[
        "status"
    ] == "rectifying"
    clock.advance(hours=2)
    photo = await ent.upload(hid, purpose="acceptance")
    assert photo.status_code == 201, photo.text
    reported = await ent.post(
        f"/hazards/{hid}/rectification-report",
        {
            "summary": "已补齐连墙件并复查",
            "funds_spent": 3000,
            "attachment_ids": [photo.json()["id"]],
        },
    )
    assert reported.status_code == 200, reported.text
    assert reported.json()["status"] == "rectification_reported"
    # The 10-day review window is tracked on the hazard.
    assert reported.json()["acceptance_due_at"].startswith("2026-03-16T15:59:59")

    # The enterprise may not accept its own work; the supervising department does.
    denied = await ent.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "自验合格"})
    assert denied.status_code == 403
    passed = await dept.post(
        f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "现场复查合格"}
    )
    assert passed.status_code == 200, passed.text
    closed = await dept2.post(f"/hazards/{hid}/close", {"note": "销号"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["funds_spent"] == 3000

    events = [HazardEvent.model_validate(e.payload) for e in await outbox_events(hid)]
    assert [e.event.value for e in events] == [
        "hazard.reported",
        "hazard.classified",
        "hazard.rectification_started",
        "hazard.rectification_reported",
        "hazard.accepted",
        "hazard.closed",
    ]
    assert all(e.facts.hazard_id == hid and e.facts.unit_id == "ent-jiancheng" for e in events)
    assert events[1].facts.deadline_kind == "working_days"
    assert events[3].facts.acceptance_due_at is not None
    assert events[4].facts.actor_person_id == "p-xuming"


async def test_on_the_spot_fix_still_needs_someone_else_to_accept(
    api: Api, outbox_events: EventsLoader
) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    found = {"description": "消防通道堆放纸箱", "source": "self_check"}
    hid = (await ent.post("/hazards", HAZARD | found)).json()["id"]
    # Without evidence there is nothing to accept.
    missing = await ent.post(
        f"/hazards/{hid}/rectified-on-spot", {"summary": "已清理", "attachment_ids": []}
    )
    assert missing.status_code == 422
    photo = (await ent.upload(hid, purpose="acceptance")).json()
    fixed = await ent.post(
        f"/hazards/{hid}/rectified-on-spot",
        {"summary": "当场清理完毕", "attachment_ids": [photo["id"]]},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json() | {} and fixed.json()["status"] == "rectification_reported"
    assert fixed.json()["level"] == "general" and fixed.json()["on_the_spot"] is True
    assert (
        await ent.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "好"})
    ).status_code == 403
    accepted = await office.post(
        f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "复核合格"}
    )
    assert accepted.status_code == 200, accepted.text
    assert (await office.post(f"/hazards/{hid}/close", {})).json()["status"] == "closed"
    events = [e.payload["event"] for e in await outbox_events(hid)]
    assert events == [
        "hazard.reported",
        "hazard.rectification_reported",
        "hazard.accepted",
        "hazard.closed",
    ]


async def test_the_person_who_reported_the_rectification_cannot_accept_it(api: Api) -> None:
    dept, dept2 = api.as_("zhujian"), api.as_("zhujian2")
    hid = (await dept.post("/hazards", HAZARD | {"unit_id": "ent-jiancheng"})).json()["id"]
    await dept.post(f"/hazards/{hid}/classify", {"level": "general"})
    await dept.post(f"/hazards/{hid}/start-rectification", {})
    photo = (await dept.upload(hid, data=PDF, name="整改报告.pdf")).json()
    assert photo["content_type"] == "application/pdf"
    await dept.post(
        f"/hazards/{hid}/rectification-report",
        {"summary": "督促整改完成", "attachment_ids": [photo["id"]]},
    )
    # Not offered to the applicant (a page shows no button that can only be refused) …
    offered = [(await u.get(f"/hazards/{hid}")).json()["allowed_actions"] for u in (dept, dept2)]
    assert "decide_acceptance" not in offered[0] and "decide_acceptance" in offered[1]
    # … and refused all the same.
    refused = await dept.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "合格"})
    assert refused.status_code == 403
    assert "验收人不能是整改申请人" in refused.json()["detail"]
    ok = await dept2.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "合格"})
    assert ok.status_code == 200 and ok.json()["decided_by_user_id"] != refused.json()
