"""The official holiday schedule of a year through the API: loaded and replaced by the county
office only, refused in Chinese when wrong, and every open working-day deadline counted on the
estimate counted again, on the hazard's timeline with both dates."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.auth.models import User
from services.hazard_api.db import outbox_tables
from shared.calendar import default_calendar
from shared.clock import TestClock
from shared.contract import CalendarScheduleLoaded, Envelope, HazardEvent, HazardEventType
from tests.hazard_api.lifecycle.conftest import HAZARD, Api, EventsLoader
from tests.official_2027 import (
    ESTIMATED_DEADLINE,
    ESTIMATED_LABEL,
    NOTICE,
    OFFICIAL_2027,
    OFFICIAL_DEADLINE,
    OFFICIAL_LABEL,
    START,
)

WORKING_10 = {"level": "general", "deadline_days": 10, "deadline_kind": "working_days"}


@pytest.fixture
def clock() -> TestClock:
    return TestClock(START)


async def calendar_events(app: FastAPI) -> list[CalendarScheduleLoaded]:
    o = outbox_tables.outbox
    async with app.state.sessionmaker() as session:
        rows = await session.execute(select(o.c.value, o.c.topic).order_by(o.c.id))
        envelopes = [(Envelope.model_validate_json(r.value), r.topic) for r in rows]
    out = []
    for envelope, topic in envelopes:
        if envelope.type == "org.calendar_schedule_loaded":
            assert topic == "org.events" and envelope.aggregate_id == "calendar:2027"
            payload = envelope.typed_payload()
            assert isinstance(payload, CalendarScheduleLoaded)
            out.append(payload)
    return out


async def user_id(app: FastAPI, username: str) -> str:
    async with app.state.sessionmaker() as session:
        return str(await session.scalar(select(User.id).where(User.username == username)))


async def hazard(api: Api, hid: str) -> dict[str, Any]:
    r = await api.as_("office").get(f"/hazards/{hid}")
    assert r.status_code == 200, r.text
    return dict(r.json()["hazard"])


async def open_hazard(api: Api, **classify: Any) -> str:
    ent = api.as_("hongxing")
    hid = str((await ent.post("/hazards", HAZARD)).json()["id"])
    office = api.as_("office")
    r = await office.post(f"/hazards/{hid}/classify", WORKING_10 | classify)
    assert r.status_code == 200, r.text
    assert (await ent.post(f"/hazards/{hid}/start-rectification", {})).status_code == 200
    return hid


async def test_the_county_office_loads_2027_and_every_service_may_read_it(
    api: Api, app: FastAPI
) -> None:
    before = await api.as_("daping").get("/calendar/2027")
    assert before.status_code == 200, before.text
    estimate = before.json()
    assert estimate["provisional"] is True and estimate["source"] == "estimated"
    assert estimate["source_label"].startswith("预计")
    assert "2027-01-04" not in estimate["holidays"]

    loaded = await api.as_("office").put("/calendar/2027", OFFICIAL_2027)
    assert loaded.status_code == 200, loaded.text
    body = loaded.json()
    assert (body["provisional"], body["source"], body["version"]) == (False, "loaded", 1)
    assert (body["notice_no"], body["loaded_by_username"], body["loaded_via"]) == (
        NOTICE,
        "office",
        "api",
    )
    assert body["loaded_at_label"] == "2026年12月21日10:00"
    assert body["holidays"] == OFFICIAL_2027["holidays"]
    assert body["workdays"] == OFFICIAL_2027["workdays"]

    after = (await api.as_("hongxing").get("/calendar/2027")).json()
    assert after["provisional"] is False and after["source_label"] == "已导入国务院办公厅通知"
    assert after["loaded_by_username"] == "office" and after["version"] == 1
    # Packaged years are not estimates either.
    packaged = (await api.as_("office").get("/calendar/2026")).json()
    assert (packaged["provisional"], packaged["source"]) == (False, "packaged")
    assert "2026-10-01" in packaged["holidays"]

    (event,) = await calendar_events(app)
    assert (event.year, event.version, event.notice_no) == (2027, 1, NOTICE)
    assert [d.isoformat() for d in event.holidays] == OFFICIAL_2027["holidays"]
    assert event.loaded_by == await user_id(app, "office")
    assert not default_calendar().is_workday(date(2027, 1, 4))  # in use at once


@pytest.mark.parametrize("username", ["daping", "zhujian", "hongxing", "fuxianzhang"])
async def test_only_the_county_office_loads_a_schedule(
    api: Api, app: FastAPI, username: str
) -> None:
    refused = await api.as_(username).put("/calendar/2027", OFFICIAL_2027)
    assert refused.status_code == 403, refused.text
    assert "无权" in refused.json()["detail"] or "县安委办" in refused.json()["detail"]
    assert (await api.as_("office").get("/calendar/2027")).json()["provisional"] is True
    assert await calendar_events(app) == []


BAD_SCHEDULES = [
    pytest.param(
        OFFICIAL_2027 | {"holidays": ["2027-01-01", "2027-01-04", "2027-01-04"]},
        "放假日期重复：2027年1月4日",
        id="a-day-twice",
    ),
    pytest.param(
        OFFICIAL_2027 | {"workdays": ["2027-01-09", "2027-02-06"]},
        "以下日期既是放假日期又是调休上班日期：2027年2月6日",
        id="a-holiday-on-a-make-up-day",
    ),
    pytest.param(
        OFFICIAL_2027 | {"year": 2028},
        "文件中的年份（2028年）与要导入的年份（2027年）不一致",
        id="wrong-year-in-the-body",
    ),
    pytest.param(
        OFFICIAL_2027 | {"holidays": ["2027-01-01", "2028-01-03"]},
        "放假日期不在2027年内：2028年1月3日",
        id="a-date-of-another-year",
    ),
    pytest.param(
        OFFICIAL_2027 | {"workdays": ["2027-01-08"]},
        "调休上班日期应为周六或周日，以下日期是周一至周五：2027年1月8日",
        id="a-make-up-day-on-a-weekday",
    ),
    pytest.param(
        OFFICIAL_2027
        | {
            "holidays": [
                d for d in OFFICIAL_2027["holidays"] if d not in ("2027-05-02", "2027-06-09")
            ]
        },
        "放假日期缺少2027年的法定节假日：5月2日（劳动节）、6月9日（端午节）",
        id="a-statutory-holiday-missing",
    ),
]


@pytest.mark.parametrize(("body", "message"), BAD_SCHEDULES)
async def test_a_wrong_schedule_is_refused_in_chinese_and_nothing_changes(
    api: Api, app: FastAPI, body: dict[str, Any], message: str
) -> None:
    office = api.as_("office")
    hid = await open_hazard(api)
    refused = await office.put("/calendar/2027", body)
    assert refused.status_code == 422, refused.text
    assert message in refused.json()["errors"][0]["message"]
    assert (await office.get("/calendar/2027")).json()["provisional"] is True
    assert await calendar_events(app) == []
    assert (await hazard(api, hid))["deadline_at"] == ESTIMATED_DEADLINE


async def test_unreadable_bodies_and_years_out_of_range_are_4xx_in_chinese(api: Api) -> None:
    office = api.as_("office")
    for year, body in (
        (2031, OFFICIAL_2027 | {"year": None}),  # not next year's: a typo
        (2027, OFFICIAL_2027 | {"holidays": ["2027-13-01"]}),
        (2027, OFFICIAL_2027 | {"holidays": []}),
        (2027, {k: v for k, v in OFFICIAL_2027.items() if k != "notice_no"}),
        (1999, OFFICIAL_2027),
    ):
        r = await office.put(f"/calendar/{year}", body)
        assert 400 <= r.status_code < 500, r.text
        text = json.dumps(r.json(), ensure_ascii=False)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    out_of_range = await office.put("/calendar/2031", OFFICIAL_2027 | {"year": None})
    assert "只能导入2025年至2027年的放假安排" in out_of_range.json()["errors"][0]["message"]


async def test_loading_2027_moves_open_working_day_deadlines_with_both_dates_on_the_timeline(
    api: Api, app: FastAPI, outbox_events: EventsLoader
) -> None:
    office = api.as_("office")
    moving = await open_hazard(api)
    calendar_days = await open_hazard(api, deadline_days=20, deadline_kind="calendar_days")
    h = await hazard(api, moving)
    assert (h["deadline_at"], h["deadline_provisional"]) == (ESTIMATED_DEADLINE, True)
    assert h["deadline_label"] == ESTIMATED_LABEL
    fixed_before = await hazard(api, calendar_days)
    assert fixed_before["deadline_provisional"] is False
    # The classification on the timeline says the date is an estimate.
    timeline = (await office.get(f"/hazards/{moving}/timeline")).json()
    assert any(ESTIMATED_LABEL in item["summary"] for item in timeline), timeline

    loaded = await office.put("/calendar/2027", OFFICIAL_2027)
    assert loaded.json()["recomputed_hazards"] == 1

    h = await hazard(api, moving)
    assert (h["deadline_at"], h["deadline_provisional"]) == (OFFICIAL_DEADLINE, False)
    assert h["deadline_label"] == OFFICIAL_LABEL and h["status"] == "rectifying"
    assert (await hazard(api, calendar_days)) == fixed_before
    summaries = [i["summary"] for i in (await office.get(f"/hazards/{moving}/timeline")).json()]
    assert (
        f"按法定节假日安排调整整改期限：法定节假日安排已发布（{NOTICE}），"
        f"整改期限由{ESTIMATED_LABEL}调整为{OFFICIAL_LABEL}"
    ) in summaries, summaries
    # The usual deadline-moved event, which escalation re-plans on.
    last = (await outbox_events(moving))[-1].typed_payload()
    assert isinstance(last, HazardEvent)
    assert last.event is HazardEventType.DEADLINE_RECOMPUTED
    assert last.facts.deadline_at == datetime.fromisoformat(OFFICIAL_DEADLINE)
    assert last.facts.deadline_provisional is False
    assert [e.type for e in await outbox_events(calendar_days)].count("hazard.event") == 3

    # New deadlines count on it from now on.
    later = await open_hazard(api)
    assert (await hazard(api, later))["deadline_at"] == OFFICIAL_DEADLINE


async def test_a_wrong_schedule_is_replaced_with_the_same_recount(
    api: Api, app: FastAPI, outbox_events: EventsLoader
) -> None:
    office = api.as_("office")
    hid = await open_hazard(api)
    await office.put("/calendar/2027", OFFICIAL_2027)
    # The office typed 4 January by mistake: the corrected notice leaves it a working day.
    corrected = OFFICIAL_2027 | {
        "notice_no": "国办发明电〔2026〕100号",
        "holidays": [d for d in OFFICIAL_2027["holidays"] if d != "2027-01-04"],
        "workdays": ["2027-02-20"],
    }
    replaced = await office.put("/calendar/2027", corrected)
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["version"], replaced.json()["recomputed_hazards"]) == (2, 1)
    h = await hazard(api, hid)
    assert (h["deadline_at"], h["deadline_provisional"]) == (ESTIMATED_DEADLINE, False)
    summaries = [i["summary"] for i in (await office.get(f"/hazards/{hid}/timeline")).json()]
    assert any(
        f"整改期限由{OFFICIAL_LABEL}调整为2027年1月5日23:59" in s and "100号" in s
        for s in summaries
    ), summaries
    assert [e.version for e in await calendar_events(app)] == [1, 2]
    # The same notice again: nothing new, nothing sent.
    events = len(await outbox_events(hid))
    again = await office.put("/calendar/2027", corrected)
    assert (again.json()["version"], again.json()["recomputed_hazards"]) == (2, 0)
    assert [e.version for e in await calendar_events(app)] == [1, 2]
    assert len(await outbox_events(hid)) == events


async def test_a_closed_hazard_keeps_its_deadline(api: Api, app: FastAPI) -> None:
    office = api.as_("office")
    hid = await open_hazard(api)
    voided = await office.post(f"/hazards/{hid}/void", {"reason": "重复登记"})
    assert voided.status_code == 200, voided.text
    loaded = await office.put("/calendar/2027", OFFICIAL_2027)
    assert loaded.json()["recomputed_hazards"] == 0
    assert (await hazard(api, hid))["deadline_at"] == ESTIMATED_DEADLINE


async def test_an_extension_asked_on_the_estimate_is_counted_on_the_official_schedule(
    api: Api,
) -> None:
    ent, office = api.as_("hongxing"), api.as_("office")
    hid = await open_hazard(api)
    asked = await ent.post(f"/hazards/{hid}/extensions", {"reason": "材料未到", "days": 3})
    assert asked.status_code in (200, 201), asked.text
    ext = asked.json()
    # Three working days after 5 January on the estimate: Friday 8 January.
    assert ext["proposed_deadline_at"] == "2027-01-08T15:59:59.999999Z"
    await office.put("/calendar/2027", OFFICIAL_2027)
    decided = await office.post(
        f"/hazards/{hid}/extensions/{ext['id']}/decision", {"approve": True, "opinion": "同意"}
    )
    assert decided.status_code == 200, decided.text
    # On the official schedule: from 6 January, the make-up Saturday 9 January is the third.
    h = await hazard(api, hid)
    assert (h["deadline_at"], h["deadline_provisional"]) == ("2027-01-09T15:59:59.999999Z", False)
