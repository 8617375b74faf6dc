"""An official holiday schedule reaching escalation (`org.calendar_schedule_loaded`): kept, used
at once and after a restart, and every open case planned again on it; with the hazard's
recounted deadline (`hazard.deadline_recomputed`) the pending reminders move, whichever of the
two events comes first, and nothing already sent is sent again."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.escalation.cases import service
from services.escalation.cases.anchors import timeline_of
from services.escalation.policy.loader import PolicySet
from services.escalation.runtime import Runtime, build_runtime
from shared.calendar import WorkCalendar
from shared.clock import TestClock
from shared.contract import CalendarScheduleLoaded, CaseChanged, Envelope, Producer
from shared.contract import HazardEventType as E
from tests.escalation.conftest import (
    deliver,
    end_of_day,
    fired_steps,
    hazard_event,
    make_facts,
    make_settings,
    outbox_events,
    run_until,
    sh,
)
from tests.official_2027 import NOTICE, OFFICIAL_2027, START

ESTIMATED = end_of_day(2027, 1, 5)
OFFICIAL = end_of_day(2027, 1, 6)


@pytest.fixture
def clock() -> TestClock:
    return TestClock(START)


def loaded(version: int = 1, at: datetime = START, **changes: object) -> Envelope:
    fields = OFFICIAL_2027 | {"version": version, "loaded_by": "u-office", "loaded_at": at}
    return Envelope.of(
        CalendarScheduleLoaded.model_validate(fields | changes),
        aggregate_id="calendar:2027",
        producer=Producer.HAZARD_API,
        occurred_at=at,
    )


async def due_of(runtime: Runtime, hazard_id: str, key: str) -> tuple[datetime, bool]:
    async with runtime.sessionmaker() as session:
        case = await service.get_case(session=session, hazard_id=hazard_id)
    assert case is not None
    steps = runtime.planner.steps(case.snapshot_id)
    (occurrence,) = [
        o
        for o in timeline_of(runtime.planner, case)
        if steps[o.step_index].key == key and o.repeat_index == 0
    ]
    return occurrence.due_at, occurrence.provisional


async def case_reasons(runtime: Runtime) -> list[str]:
    out = []
    for envelope in await outbox_events(runtime, "escalation.case_changed"):
        payload = envelope.typed_payload()
        assert isinstance(payload, CaseChanged)
        out.append(payload.reason)
    return out


@pytest.mark.parametrize("calendar_first", [True, False], ids=["calendar-first", "hazard-first"])
async def test_the_pending_reminder_moves_with_the_recounted_deadline(
    county: Runtime, clock: TestClock, calendar_first: bool
) -> None:
    facts = make_facts(classified_at=START, deadline_at=ESTIMATED, deadline_provisional=True)
    await deliver(county, hazard_event(E.CLASSIFIED, facts, START))
    # On the estimate: the day before 5 January is Monday 4 January.
    assert await due_of(county, facts.hazard_id, "remind_1wd") == (sh(2027, 1, 4, 9, 0), True)
    # The rectification order goes out at once, on the estimated deadline.
    await run_until(county, clock, START)
    (order,) = await fired_steps(county, facts.hazard_id)
    assert order.step_key == "order" and order.facts.deadline_provisional

    # The next morning the county office loads the official schedule.
    now = clock.advance(days=1)
    recounted = hazard_event(
        E.DEADLINE_RECOMPUTED,
        facts.model_copy(update={"deadline_at": OFFICIAL, "deadline_provisional": False}),
        now,
    )
    schedule = loaded(at=now)
    for envelope in (schedule, recounted) if calendar_first else (recounted, schedule):
        await deliver(county, envelope)
    # Officially 1–4 January are off: the reminder goes on Tuesday 5 January.
    assert await due_of(county, facts.hazard_id, "remind_1wd") == (sh(2027, 1, 5, 9, 0), False)
    assert not county.planner.calendar.is_provisional(2027)
    assert "calendar" in await case_reasons(county)
    # A recount is not a new order: the order is not sent again.
    await run_until(county, clock, sh(2026, 12, 29, 9, 0))
    assert [s.step_key for s in await fired_steps(county, facts.hazard_id)] == ["order"]


async def test_an_older_version_changes_nothing_and_a_newer_one_replaces(
    county: Runtime, clock: TestClock
) -> None:
    facts = make_facts(classified_at=START, deadline_at=ESTIMATED, deadline_provisional=True)
    await deliver(county, hazard_event(E.CLASSIFIED, facts, START))
    await deliver(county, loaded(version=2))
    assert await due_of(county, facts.hazard_id, "remind_1wd") == (sh(2026, 12, 31, 9, 0), False)
    reasons = await case_reasons(county)
    # Version 1 arriving late (a replay, another partition) is older than what is kept.
    await deliver(county, loaded(version=1, holidays=["2027-01-01"], workdays=[]))
    assert await case_reasons(county) == reasons
    assert not county.planner.calendar.is_workday(date(2027, 1, 4))
    # A corrected version 3 (4 January a working day again) moves the reminder back.
    corrected = [d for d in OFFICIAL_2027["holidays"] if d != "2027-01-04"]
    await deliver(county, loaded(version=3, holidays=corrected, notice_no=NOTICE + "更正"))
    assert await due_of(county, facts.hazard_id, "remind_1wd") == (sh(2027, 1, 4, 9, 0), False)


async def test_a_restarted_service_counts_on_the_schedules_it_received(
    county: Runtime, database_url: str, clock: TestClock
) -> None:
    await deliver(county, loaded())
    settings = make_settings(database_url)
    fresh = WorkCalendar()
    assert fresh.is_provisional(2027)
    again = await build_runtime(
        settings, clock, PolicySet.load(settings.policies_dir), calendar=fresh
    )
    try:
        assert not fresh.is_provisional(2027) and not fresh.is_workday(date(2027, 1, 4))
    finally:
        await again.engine.dispose()
