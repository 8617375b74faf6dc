"""A major hazard: plan, listing, an extension, a failed acceptance, a passed one, delisting."""

from __future__ import annotations

from shared.clock import TestClock
from shared.contract import HazardEvent
from tests.hazard_api.lifecycle.conftest import HAZARD, PLAN, Api, EventsLoader


async def test_major_hazard_full_lifecycle(
    api: Api, clock: TestClock, outbox_events: EventsLoader
) -> None:
    ent, office, office2, township = (
        api.as_("hongxing"),
        api.as_("office"),
        api.as_("office2"),
        api.as_("daping"),
    )
    hid = (await ent.post("/hazards", HAZARD)).json()["id"]

    # A major hazard must name its grade and the criterion (判定依据) from the catalogue.
    no_grade = await office.post(f"/hazards/{hid}/classify", {"level": "major"})
    assert no_grade.status_code == 422
    wrong_industry = await office.post(
        f"/hazards/{hid}/classify", {"level": "major", "grade": 3, "criterion_id": "MK-3-2"}
    )
    assert wrong_industry.status_code == 422
    assert "不适用" in wrong_industry.json()["errors"][0]["message"]
    classified = await office.post(
        f"/hazards/{hid}/classify", {"level": "major", "grade": 3, "criterion_id": "YH-05"}
    )
    assert classified.status_code == 200, classified.text
    assert classified.json()["criterion_id"] == "YH-05"

    # No rectification without the six-part treatment plan.
    early = await ent.post(f"/hazards/{hid}/start-rectification", {})
    assert early.status_code == 409 and "治理方案" in early.json()["detail"]
    partial = await ent.put(
        f"/hazards/{hid}/plan", {k: v for k, v in PLAN.items() if k != "time_limit"}
    )
    assert partial.status_code == 422
    plan = await ent.put(f"/hazards/{hid}/plan", PLAN)
    assert plan.status_code == 200, plan.text

    # Listing: county level from grade 3, 60-day default deadline, at most 90.
    too_long = await office.post(
        f"/hazards/{hid}/listing", {"notice_no": "演安委〔2026〕1号", "deadline_days": 91}
    )
    assert too_long.status_code == 422
    assert (await ent.post(f"/hazards/{hid}/listing", {"notice_no": "x"})).status_code == 403
    listed = await office.post(
        f"/hazards/{hid}/listing", {"notice_no": "演安委〔2026〕1号", "published": True}
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["listing_level"] == "county" and body["listing_body_id"] == "dep-yingji"
    assert body["listing_published"] is True and body["deadline_kind"] == "calendar_days"
    assert body["deadline_at"].startswith("2026-05-05T15:59:59")  # 2026-03-06 + 60 days

    assert (
        await ent.post(f"/hazards/{hid}/start-rectification", {"note": "停止涉药作业"})
    ).status_code == 200

    # Extension: requested by the unit, decided by the listing body (not the township).
    ext = await ent.post(
        f"/hazards/{hid}/extensions", {"reason": "防护土堤施工受雨季影响", "days": 15}
    )
    assert ext.status_code == 201, ext.text
    ext_id = ext.json()["id"]
    assert ext.json()["proposed_deadline_at"].startswith("2026-05-20T15:59:59")
    again = await ent.post(f"/hazards/{hid}/extensions", {"reason": "再延", "days": 5})
    assert again.status_code == 409
    decision = {"approve": True, "opinion": "同意延期15日"}
    assert (
        await township.post(f"/hazards/{hid}/extensions/{ext_id}/decision", decision)
    ).status_code == 403
    approved = await office.post(f"/hazards/{hid}/extensions/{ext_id}/decision", decision)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    detail = (await ent.get(f"/hazards/{hid}")).json()
    assert detail["hazard"]["deadline_at"].startswith("2026-05-20T15:59:59")
    assert detail["hazard"]["original_deadline_at"].startswith("2026-05-05T15:59:59")
    assert [e["status"] for e in detail["extensions"]] == ["approved"]
    assert detail["plan"]["responsible_person"] == "张红星"

    # Delisting before acceptance is refused with the state it needs.
    early_close = await office.post(
        f"/hazards/{hid}/close", {"delisting_notice_no": "演安委〔2026〕9号"}
    )
    assert early_close.status_code == 409
    assert early_close.json()["detail"] == "销号需要隐患处于“验收通过”状态，当前为“整改中”"

    # First acceptance fails: back to rectifying.
    clock.advance(hours=1)
    photo = (await ent.upload(hid, purpose="acceptance")).json()
    applied = await ent.post(
        f"/hazards/{hid}/rectification-report",
        {"summary": "超量成品已转运", "funds_spent": 80000, "attachment_ids": [photo["id"]]},
    )
    assert applied.status_code == 200, applied.text
    failed = await office.post(
        f"/hazards/{hid}/acceptance", {"passed": False, "opinion": "防护屏障尚未修复完毕"}
    )
    assert failed.status_code == 200 and failed.json()["passed"] is False
    assert (await ent.get(f"/hazards/{hid}")).json()["hazard"]["status"] == "rectifying"

    # Reused evidence is refused; new evidence is needed for the second round.
    reused = await ent.post(
        f"/hazards/{hid}/rectification-report",
        {"summary": "屏障已修复", "attachment_ids": [photo["id"]]},
    )
    assert reused.status_code == 422
    photo2 = (await ent.upload(hid, purpose="acceptance")).json()
    reapplied = await ent.post(
        f"/hazards/{hid}/rectification-report",
        {
            "summary": "防护屏障已按设计修复",
            "funds_spent": 120000,
            "attachment_ids": [photo2["id"]],
        },
    )
    assert reapplied.status_code == 200
    passed = await office2.post(
        f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "现场验收合格"}
    )
    assert passed.status_code == 200, passed.text

    # Delisting needs the notice number; a department may not delist a county listing.
    assert (await office.post(f"/hazards/{hid}/close", {})).status_code == 409
    closed = await office.post(
        f"/hazards/{hid}/close", {"delisting_notice_no": "演安委〔2026〕9号", "published": True}
    )
    assert closed.status_code == 200, closed.text
    assert (
        closed.json()["status"] == "closed"
        and closed.json()["delisting_notice_no"] == "演安委〔2026〕9号"
    )

    rounds = (await office.get(f"/hazards/{hid}")).json()["acceptances"]
    assert [(r["round"], r["passed"]) for r in rounds] == [(1, False), (2, True)]

    events = [HazardEvent.model_validate(e.payload) for e in await outbox_events(hid)]
    assert [e.event.value for e in events] == [
        "hazard.reported",
        "hazard.classified",
        "hazard.listed",
        "hazard.rectification_started",
        "hazard.extension_requested",
        "hazard.extension_approved",
        "hazard.rectification_reported",
        "hazard.acceptance_failed",
        "hazard.rectification_reported",
        "hazard.accepted",
        "hazard.closed",
    ]
    listed_facts = events[2].facts
    assert (listed_facts.level, listed_facts.grade, listed_facts.listing_level) == (
        "major",
        3,
        "county",
    )
    assert listed_facts.listing_body_id == "dep-yingji" and listed_facts.listed_at is not None
    assert events[5].facts.deadline_at is not None
    assert events[5].facts.deadline_at.isoformat().startswith("2026-05-20T15:59:59")


async def test_listing_is_raised_a_level_and_extension_lead_time_is_enforced(api: Api) -> None:
    ent, office = api.as_("huayu"), api.as_("office")
    hid = (
        await ent.post("/hazards", HAZARD | {"description": "重点监管危险化工工艺未实现自动化控制"})
    ).json()["id"]
    await office.post(
        f"/hazards/{hid}/classify", {"level": "major", "grade": 2, "criterion_id": "HG-04"}
    )
    assert (await ent.put(f"/hazards/{hid}/plan", PLAN)).status_code == 200
    listed = await office.post(
        f"/hazards/{hid}/listing", {"notice_no": "市安委〔2026〕3号", "deadline_days": 20}
    )
    assert listed.json()["listing_level"] == "city"  # grade 2 → city
    raised = await office.post(f"/hazards/{hid}/listing/raise", {"reason": "逾期未整改，提级督办"})
    assert raised.status_code == 200 and raised.json()["listing_level"] == "province"
    again = await office.post(f"/hazards/{hid}/listing/raise", {"reason": "再提级"})
    assert again.status_code == 409 and "省级" in again.json()["detail"]
    await ent.post(f"/hazards/{hid}/start-rectification", {})
    # 20 calendar days leave fewer than the 20 working days a listed hazard's extension needs.
    late = await ent.post(f"/hazards/{hid}/extensions", {"reason": "设备到货延迟", "days": 10})
    assert late.status_code == 409 and "20 个工作日" in late.json()["detail"]
