"""四不放过: an accident case closes only with all four items recorded; 停产整顿: a suspended
enterprise resumes only after a passed 复工复产验收."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.models import Unit
from shared.clock import TestClock
from shared.contract import (
    ACCIDENT_EVENTS,
    ORG_EVENTS,
    Envelope,
    SuspensionEvent,
    SuspensionEventType,
    UnitUpserted,
)
from tests.hazard_api.lifecycle.conftest import HAZARD, Api
from tests.hazard_api.lifecycle.test_accident_class import quick_report

INVESTIGATION = {"cause": "违规超量装药", "report_no": "某调〔2026〕1号", "evidence": "调查报告"}
ACCOUNTABILITY = {
    "persons": [{"person": "张红星", "unit": "红星烟花爆竹有限公司", "measure": "行政处罚"}],
    "evidence": "某应急罚〔2026〕7号",
}
EDUCATION = {
    "responsible_persons": "主要负责人参加警示教育",
    "workers": "全体从业人员复训",
    "evidence": "培训签到表",
}


async def accepted_hazard(api: Api) -> str:
    """A corrective measure as a hazard of its own, fixed and accepted."""
    ent, office = api.as_("hongxing"), api.as_("office")
    r = await ent.post("/hazards", HAZARD)
    hid = r.json()["id"]
    photo = (await ent.upload(hid, purpose="acceptance")).json()
    rectified = {"summary": "已清理超量药物并修复屏障", "attachment_ids": [photo["id"]]}
    r = await ent.post(f"/hazards/{hid}/rectified-on-spot", rectified)
    assert r.status_code == 200, r.text
    r = await office.post(f"/hazards/{hid}/acceptance", {"passed": True, "opinion": "复查合格"})
    assert r.status_code == 200, r.text
    return str(hid)


async def test_closure_names_what_is_missing(api: Api, clock: TestClock) -> None:
    office, ent = api.as_("office"), api.as_("hongxing")
    aid = (await ent.post("/accidents", quick_report(clock, deaths=1))).json()["id"]

    async def close_says() -> str:
        r = await office.post(f"/accidents/{aid}/close")
        assert r.status_code == 409
        return str(r.json()["detail"])

    said = await close_says()
    assert said.startswith("四不放过未落实，不能结案：事故原因未查清（调查报告）")
    assert "事故责任者未受到处理" in said and "防范和整改措施未落实" in said
    assert (await office.post(f"/accidents/{aid}/investigation", INVESTIGATION)).status_code == 200
    said = await close_says()
    assert "事故原因" not in said and said.endswith(
        "事故责任者未受到处理；事故责任者和群众（从业人员）未受到教育；防范和整改措施未落实"
    )
    assert (await office.put(f"/accidents/{aid}/accountability", ACCOUNTABILITY)).status_code == 200
    assert (await office.put(f"/accidents/{aid}/education", EDUCATION)).status_code == 200
    assert await close_says() == "四不放过未落实，不能结案：防范和整改措施未落实"

    # A measure whose hazard has not passed acceptance does not count.
    r = await ent.post("/hazards", HAZARD)
    open_hazard = r.json()
    measure = {"description": "修复防护屏障", "hazard_id": open_hazard["id"]}
    r = await office.put(f"/accidents/{aid}/measures", {"measures": [measure], "evidence": "x"})
    assert r.status_code == 409 and "尚未验收通过" in r.json()["detail"]
    assert await close_says() == "四不放过未落实，不能结案：防范和整改措施未落实"

    hid = await accepted_hazard(api)
    measures = {
        "measures": [{"description": "修复防护屏障", "hazard_id": hid}],
        "evidence": "验收记录",
    }
    r = await office.put(f"/accidents/{aid}/measures", measures)
    assert r.status_code == 200, r.text
    items = r.json()["four_items"]
    assert [(i["key"], i["done"]) for i in items] == [
        ("cause", True),
        ("accountability", True),
        ("education", True),
        ("measures", True),
    ]
    # The enterprise cannot close its own case.
    assert (await ent.post(f"/accidents/{aid}/close")).status_code == 403
    # Nor can the office while a report never went upward (its 快报 is still a draft).
    assert await close_says() == "尚有报告未核稿、签发（未向上级报告），不能结案：第1份报告（快报）"
    report_id = (await office.get(f"/accidents/{aid}")).json()["reports"][0]["id"]
    assert (await office.post(f"/accidents/{aid}/reports/{report_id}/review")).status_code == 200
    assert await close_says() == "尚有报告未核稿、签发（未向上级报告），不能结案：第1份报告（快报）"
    issued = await api.as_("office2").post(f"/accidents/{aid}/reports/{report_id}/issue")
    assert issued.status_code == 200, issued.text
    r = await office.post(f"/accidents/{aid}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert (await office.post(f"/accidents/{aid}/close")).status_code == 409


TEAM = [
    {"unit": "emergency", "name": "黄涛"},
    {"unit": "department", "name": "公安局 李警官"},
    {"unit": "township", "name": "郑宇"},
]
CHECKLIST = [
    {"item": "安全生产责任制", "standard": "健全并落实", "result": "pass", "evidence": "制度文件"},
    {"item": "隐患排查", "standard": "全面排查并整改", "result": "pass", "evidence": "排查台账"},
]
ACCEPTANCE: dict[str, object] = {
    "team": TEAM,
    "checklist": [
        {
            "item": "安全生产责任制",
            "standard": "健全并落实",
            "result": "pass",
            "evidence": "制度文件",
        },
        {
            "item": "隐患排查",
            "standard": "全面排查并整改",
            "result": "pass",
            "evidence": "排查台账",
        },
    ],
    "passed": True,
    "note": "同意复产",
}
APPLICATION = {
    "self_check": "已全面自查",
    "rectification_report": "整改报告",
    "training_records": "全员培训记录",
    "drill_records": "应急演练记录",
}


async def unit_status(app: FastAPI, unit_id: str) -> str | None:
    async with app.state.sessionmaker() as session:
        unit = await session.get(Unit, unit_id)
        assert unit is not None
        status: str | None = unit.status
        return status


async def test_resumption_only_after_a_passed_acceptance(
    api: Api, clock: TestClock, app: FastAPI
) -> None:
    office, ent, daping = api.as_("office"), api.as_("hongxing"), api.as_("daping")
    aid = (await ent.post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    order = {
        "unit_id": "ent-hongxing",
        "order_no": "某应急停〔2026〕1号",
        "reason": "发生生产安全事故",
        "accident_id": aid,
    }
    assert (await ent.post("/suspensions", order)).status_code == 403
    r = await office.post("/suspensions", order)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["status_label"] == "停产整顿中"
    assert await unit_status(app, "ent-hongxing") == "suspended"
    assert (await office.post("/suspensions", order)).status_code == 409

    async def resume_refused() -> None:
        r = await office.post(f"/suspensions/{sid}/resume")
        assert r.status_code == 409
        assert r.json()["detail"] == "该企业尚未通过复工复产验收，不得恢复生产"
        assert await unit_status(app, "ent-hongxing") == "suspended"

    await resume_refused()
    assert (await ent.post(f"/suspensions/{sid}/application", APPLICATION)).status_code == 200
    await resume_refused()
    r = await daping.post(f"/suspensions/{sid}/review", {"passed": True, "note": "材料齐全"})
    assert r.status_code == 200 and r.json()["status"] == "reviewed"
    await resume_refused()
    # A team without the township, or a pass over a failed item, is refused.
    short_team = ACCEPTANCE | {"team": [*TEAM[:2], TEAM[0]]}
    assert (await office.post(f"/suspensions/{sid}/acceptance", short_team)).status_code == 422
    failed_item = [CHECKLIST[0] | {"result": "fail"}]
    r = await office.post(f"/suspensions/{sid}/acceptance", ACCEPTANCE | {"checklist": failed_item})
    assert r.status_code == 422 and "安全生产责任制" in r.text
    # A failed acceptance sends it back to 整顿.
    r = await office.post(
        f"/suspensions/{sid}/acceptance",
        ACCEPTANCE | {"checklist": failed_item, "passed": False, "note": "不同意复产"},
    )
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    await resume_refused()
    await ent.post(f"/suspensions/{sid}/application", APPLICATION)
    await daping.post(f"/suspensions/{sid}/review", {"passed": True, "note": "已整改"})
    r = await office.post(f"/suspensions/{sid}/acceptance", ACCEPTANCE)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = await office.post(f"/suspensions/{sid}/resume")
    assert r.status_code == 200 and r.json()["status"] == "resumed"
    assert await unit_status(app, "ent-hongxing") == "operating"
    # The directory's change went out on org.events for the other services.
    o = outbox_tables.outbox
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(o.c.value).where(o.c.topic == ORG_EVENTS, o.c.key == "ent-hongxing")
        )
        statuses = [
            p.status
            for r_ in rows
            if isinstance(p := Envelope.model_validate_json(r_.value).typed_payload(), UnitUpserted)
        ]
    assert statuses[-2:] == ["suspended", "operating"]
    # Each review tells escalation when it was made: the acceptance team's 10 days run from it.
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(o.c.value).where(o.c.topic == ACCIDENT_EVENTS, o.c.key == sid)
        )
        reviews = [
            p.facts
            for r_ in rows
            if isinstance(
                p := Envelope.model_validate_json(r_.value).typed_payload(), SuspensionEvent
            )
            and p.event is SuspensionEventType.REVIEWED
        ]
    assert [(f.status, f.reviewed_at is not None) for f in reviews] == [("reviewed", True)] * 2


async def test_statistics_by_month_class_industry_and_township(api: Api, clock: TestClock) -> None:
    office = api.as_("office")
    for unit, deaths, loss in (
        ("ent-hongxing", 3, 2_000_000),
        ("ent-hongxing", 1, 500_000),
        ("ent-jiancheng", 0, 100_000),
    ):
        r = await office.post(
            "/accidents", quick_report(clock, unit_id=unit, deaths=deaths, direct_loss_yuan=loss)
        )
        assert r.status_code == 201, r.text
    r = await office.get("/accidents/statistics", params={"year": 2026})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["total"]["accidents"] == 3 and s["total"]["deaths"] == 4
    assert s["total"]["direct_loss_yuan"] == 2_600_000
    assert s["by_month"]["3"]["accidents"] == 3
    assert (
        s["by_class"]["较大事故"]["accidents"] == 1 and s["by_class"]["一般事故"]["accidents"] == 2
    )
    assert s["by_industry"]["C2672"]["deaths"] == 4
    assert s["by_township"]["tw-daping"]["accidents"] == 2
    assert s["by_township"]["tw-matoupu"]["accidents"] == 1
    # Another year is empty; the enterprise sees its own only.
    assert (await office.get("/accidents/statistics", params={"year": 2025})).json()["total"][
        "accidents"
    ] == 0
    own = (await api.as_("hongxing").get("/accidents/statistics", params={"year": 2026})).json()
    assert own["total"]["accidents"] == 2
    assert (await office.get("/accidents/statistics", params={"year": 1999})).status_code == 422


async def test_a_suspension_is_ordered_for_an_enterprise_in_scope(api: Api) -> None:
    """Admission: only an enterprise (422 otherwise), one the office can see (404)."""
    office = api.as_("office")
    order = {
        "unit_id": "tw-daping",
        "order_no": "某应急停〔2026〕2号",
        "reason": "检查发现重大隐患",
    }
    r = await office.post("/suspensions", order)
    assert r.status_code == 422 and "只能责令生产经营单位（企业）停产停业整顿" in r.text
    r = await office.post("/suspensions", order | {"unit_id": "ent-nowhere"})
    assert r.status_code == 404 and r.json()["detail"] == "企业不存在或不在您的管辖范围内"
    r = await office.post("/suspensions", order | {"unit_id": "ent-hongxing"})
    assert r.status_code == 201, r.text
