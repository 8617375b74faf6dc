"""An accident's statutory clocks chased with a moved clock (#15): for each, reminders before
it falls due, an overdue notice after, and silence once the event that fulfils it arrives."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from services.escalation.runtime import Runtime
from shared.clock import TestClock
from shared.contract import (
    AccidentClass,
    AccidentEventType,
    AccidentFacts,
    AccidentStatus,
    ChainRole,
    EscalationAction,
    Urgency,
)
from tests.escalation.accidents import (
    clock_steps,
    investigation_reported,
    keys_until,
    make_accident,
    moved,
    tell,
)
from tests.escalation.conftest import sh

Ev = AccidentEventType
MINUTE = timedelta(minutes=1)


async def test_upward_report_chased_at_night_then_overdue_then_silent_once_issued(
    county: Runtime, clock: TestClock
) -> None:
    # 23:10 on a Monday night: received; due upward at 01:10.
    a = make_accident(sh(2026, 3, 9, 23, 0), sh(2026, 3, 9, 23, 10))
    clock.set(a.received_at)
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    aid = a.accident_id
    assert await keys_until(county, clock, aid, sh(2026, 3, 10, 0, 9), "upward") == []
    assert await keys_until(county, clock, aid, sh(2026, 3, 10, 0, 10), "upward") == [
        "upward_remind_60m"
    ]
    assert await keys_until(county, clock, aid, sh(2026, 3, 10, 1, 9), "upward") == [
        "upward_remind_60m",
        "upward_remind_30m",
    ]
    await keys_until(county, clock, aid, sh(2026, 3, 10, 1, 10))
    steps = await clock_steps(county, aid, "upward")
    overdue = steps[-1]
    assert overdue.step_key == "upward_overdue"
    assert overdue.action is EscalationAction.ACCIDENT_CLOCK_OVERDUE
    # At night, as due: the upward report is `immediate`.
    assert overdue.fired_at == sh(2026, 3, 10, 1, 10)
    assert {s.urgency for s in steps} == {Urgency.IMMEDIATE}
    assert ChainRole.COUNTY_OFFICE in overdue.target_roles
    assert overdue.accident is not None and overdue.accident.accident_id == aid
    # Signed off at 01:30: the hourly overdue repeats (02:10, 03:10) never go.
    issued = sh(2026, 3, 10, 1, 30)
    await tell(county, clock, Ev.REPORT_ISSUED, moved(a, upward_reported_at=issued), issued)
    assert await keys_until(county, clock, aid, sh(2026, 3, 10, 12, 0), "upward") == [
        "upward_remind_60m",
        "upward_remind_30m",
        "upward_overdue",
    ]


async def test_upward_report_issued_in_time_ends_its_reminders(
    county: Runtime, clock: TestClock
) -> None:
    a = make_accident(sh(2026, 3, 9, 23, 0), sh(2026, 3, 9, 23, 10))
    clock.set(a.received_at)
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    issued = sh(2026, 3, 10, 0, 20)
    await tell(county, clock, Ev.REPORT_ISSUED, moved(a, upward_reported_at=issued), issued)
    assert await keys_until(county, clock, a.accident_id, sh(2026, 3, 11), "upward") == [
        "upward_remind_60m"
    ]


async def test_supplement_window_seven_days_for_fire_thirty_otherwise(
    county: Runtime, clock: TestClock
) -> None:
    # Wednesday 11 March, 10:00: a fire's window ends on the 18th, an explosion's on 10 April.
    start = sh(2026, 3, 11, 10, 0)
    clock.set(start)
    fire = make_accident(start, start + 10 * MINUTE, accident_type="fire")
    blast = make_accident(start, start + 10 * MINUTE)
    for a in (fire, blast):
        await tell(county, clock, Ev.REPORTED, a, a.received_at)
    assert await keys_until(county, clock, fire.accident_id, sh(2026, 3, 16, 8, 59), "supp") == []
    assert await keys_until(county, clock, fire.accident_id, sh(2026, 3, 16, 9, 0), "supp") == [
        "supplement_remind_2d"
    ]
    assert await keys_until(county, clock, fire.accident_id, sh(2026, 3, 18, 9, 59), "supp") == [
        "supplement_remind_2d"
    ]
    assert await keys_until(county, clock, fire.accident_id, sh(2026, 3, 18, 10, 0), "supp") == [
        "supplement_remind_2d",
        "supplement_ended",
    ]
    assert await keys_until(county, clock, blast.accident_id, sh(2026, 4, 8, 8, 59), "supp") == []
    assert await keys_until(county, clock, blast.accident_id, sh(2026, 4, 10, 10, 0), "supp") == [
        "supplement_remind_2d",
        "supplement_ended",
    ]


async def test_closed_accident_is_silent(county: Runtime, clock: TestClock) -> None:
    start = sh(2026, 3, 11, 10, 0)
    clock.set(start)
    a = make_accident(start, start + 10 * MINUTE)
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    issued = start + 30 * MINUTE
    a = moved(a, upward_reported_at=issued)
    await tell(county, clock, Ev.REPORT_ISSUED, a, issued)
    closed = sh(2026, 3, 12, 10, 0)
    await tell(county, clock, Ev.CLOSED, moved(a, status=AccidentStatus.CLOSED), closed)
    assert await keys_until(county, clock, a.accident_id, sh(2027, 1, 1)) == []


async def test_investigation_sixty_days_extended_by_sixty_then_silent_once_reported(
    county: Runtime, clock: TestClock
) -> None:
    start = sh(2026, 3, 11, 10, 0)
    clock.set(start)
    a = make_accident(start, start + 10 * MINUTE)
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    aid, due = a.accident_id, a.investigation_due_at
    assert due is not None
    assert due == start + timedelta(days=60)
    assert await keys_until(county, clock, aid, due - timedelta(days=16), "inv") == []
    assert await keys_until(county, clock, aid, due - MINUTE, "inv") == [
        "investigation_remind_15d",
        "investigation_remind_5d",
    ]
    assert await keys_until(county, clock, aid, due + timedelta(days=5), "inv") == [
        "investigation_remind_15d",
        "investigation_remind_5d",
        "investigation_overdue",
    ]
    # One extension of 60 days, approved: the clock follows the new date.
    later = due + timedelta(days=60)
    extended = moved(a, investigation_due_at=later)
    await tell(county, clock, Ev.INVESTIGATION_EXTENDED, extended, clock.now())
    assert await keys_until(county, clock, aid, later - timedelta(days=16), "inv") == [
        "investigation_remind_15d",
        "investigation_remind_5d",
        "investigation_overdue",
    ]
    assert Counter(await keys_until(county, clock, aid, later + timedelta(days=5), "inv")) == {
        "investigation_remind_15d": 2,
        "investigation_remind_5d": 2,
        "investigation_overdue": 2,
    }
    # The report is in: the weekly overdue repeats stop.
    reported_at = clock.now()
    reported = investigation_reported(extended, reported_at)
    await tell(county, clock, Ev.INVESTIGATION_REPORTED, reported, reported_at)
    assert Counter(await keys_until(county, clock, aid, later + timedelta(days=90), "inv")) == {
        "investigation_remind_15d": 2,
        "investigation_remind_5d": 2,
        "investigation_overdue": 2,
    }


async def _decision(
    county: Runtime, clock: TestClock, cls: AccidentClass
) -> tuple[str, AccidentFacts, datetime]:
    start = sh(2026, 3, 11, 10, 0)
    clock.set(start)
    a = make_accident(start, start + 10 * MINUTE, accident_class=cls)
    await tell(county, clock, Ev.REPORTED, a, a.received_at)
    at = sh(2026, 3, 18, 10, 0)  # due on 2 April (15 days) or 17 April (30), clear of holidays
    reported = investigation_reported(a, at)
    await tell(county, clock, Ev.INVESTIGATION_REPORTED, reported, at)
    return a.accident_id, reported, at


async def test_decision_fifteen_days_reminded_overdue_then_silent_once_decided(
    county: Runtime, clock: TestClock
) -> None:
    aid, reported, at = await _decision(county, clock, AccidentClass.GENERAL)
    assert reported.decision_due_at == at + timedelta(days=15)
    due = at + timedelta(days=15)
    assert await keys_until(county, clock, aid, due - timedelta(days=6), "dec") == []
    assert await keys_until(county, clock, aid, due - MINUTE, "dec") == [
        "decision_remind_5d",
        "decision_remind_2d",
    ]
    assert await keys_until(county, clock, aid, due + timedelta(days=5), "dec") == [
        "decision_remind_5d",
        "decision_remind_2d",
        "decision_overdue",
    ]
    decided = moved(reported, status=AccidentStatus.DECIDED)
    await tell(county, clock, Ev.DECIDED, decided, clock.now())
    assert await keys_until(county, clock, aid, due + timedelta(days=60), "dec") == [
        "decision_remind_5d",
        "decision_remind_2d",
        "decision_overdue",
    ]


async def test_decision_thirty_days_for_especially_major_and_its_extension(
    county: Runtime, clock: TestClock
) -> None:
    aid, reported, at = await _decision(county, clock, AccidentClass.ESPECIALLY_MAJOR)
    due = at + timedelta(days=30)
    assert reported.decision_due_at == due
    # Where 15 days would already be overdue, nothing has been said yet.
    assert await keys_until(county, clock, aid, at + timedelta(days=20), "dec") == []
    assert await keys_until(county, clock, aid, due - MINUTE, "dec") == [
        "decision_remind_5d",
        "decision_remind_2d",
    ]
    later = due + timedelta(days=30)
    extended = moved(reported, decision_due_at=later)
    await tell(county, clock, Ev.DECISION_EXTENDED, extended, clock.now())
    assert await keys_until(county, clock, aid, due + timedelta(days=5), "dec") == [
        "decision_remind_5d",
        "decision_remind_2d",
    ]
    assert await keys_until(county, clock, aid, later + timedelta(days=5), "dec") == [
        "decision_remind_5d",
        "decision_remind_2d",
        "decision_remind_5d",
        "decision_remind_2d",
        "decision_overdue",
    ]
