"""The statistics-report schedule: due dates, reminder times, what is pending when."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from services.escalation.reports.schedule import (
    pending,
    quarterly_due,
    remind_at,
    reports_of,
    yearly_due,
)
from shared.calendar import WorkCalendar, YearSchedule
from shared.contract import ReportKind
from tests.escalation.conftest import sh

NINE = time(9, 0)
CALENDAR = WorkCalendar()  # chinese-calendar's official data for 2026


def test_a_quarterly_report_is_due_on_the_15th_of_the_next_quarters_first_month() -> None:
    assert quarterly_due(2026, 1) == date(2026, 4, 15)
    assert quarterly_due(2026, 2) == date(2026, 7, 15)
    assert quarterly_due(2026, 3) == date(2026, 10, 15)
    # The fourth quarter's report is due in the next year.
    assert quarterly_due(2026, 4) == date(2027, 1, 15)
    with pytest.raises(ValueError):
        quarterly_due(2026, 5)


def test_the_yearly_report_is_due_on_31_january_of_the_next_year() -> None:
    assert yearly_due(2026) == date(2027, 1, 31)
    reports = reports_of(2026)
    assert [(r.kind, r.quarter, r.due) for r in reports] == [
        (ReportKind.QUARTERLY, 1, date(2026, 4, 15)),
        (ReportKind.QUARTERLY, 2, date(2026, 7, 15)),
        (ReportKind.QUARTERLY, 3, date(2026, 10, 15)),
        (ReportKind.QUARTERLY, 4, date(2027, 1, 15)),
        (ReportKind.YEARLY, None, date(2027, 1, 31)),
    ]


def test_a_reminder_goes_at_nine_beijing_time_lead_days_before_on_a_working_day() -> None:
    # 8 April 2026 is a Wednesday.
    assert remind_at(date(2026, 4, 15), 7, CALENDAR, NINE) == sh(2026, 4, 8, 9)
    assert remind_at(date(2026, 4, 15), 2, CALENDAR, NINE) == sh(2026, 4, 13, 9)


def test_a_reminder_on_a_weekend_moves_to_the_friday_before() -> None:
    # 11 July 2026 is a Saturday, 31 January 2026 (the yearly report of 2025) too.
    assert remind_at(date(2026, 7, 15), 4, CALENDAR, NINE) == sh(2026, 7, 10, 9)
    assert remind_at(date(2026, 1, 31), 0, CALENDAR, NINE) == sh(2026, 1, 30, 9)


def test_a_reminder_in_a_holiday_moves_to_the_working_day_before_it() -> None:
    # National Day 2026: 1–7 October off, Saturday 10 October a make-up working day.
    assert remind_at(date(2026, 10, 15), 9, CALENDAR, NINE) == sh(2026, 9, 30, 9)
    assert remind_at(date(2026, 10, 15), 5, CALENDAR, NINE) == sh(2026, 10, 10, 9)
    # A schedule an administrator loaded is what counts: 13 April made a holiday.
    loaded = WorkCalendar(
        [YearSchedule(year=2026, holidays=[date(2026, 4, 13)], source="test schedule")]
    )
    assert remind_at(date(2026, 4, 15), 2, loaded, NINE) == sh(2026, 4, 10, 9)


def test_pending_reminders_come_at_their_time_and_never_after_the_due_date() -> None:
    def ids(now: datetime) -> list[list[str]]:
        return [[r.id for r in came] for came in pending(now, [7, 2], CALENDAR, NINE)]

    assert ids(sh(2026, 4, 8, 8, 59)) == []
    assert ids(sh(2026, 4, 8, 9)) == [["quarterly-2026Q1-7d"]]
    assert ids(sh(2026, 4, 13, 9)) == [["quarterly-2026Q1-7d", "quarterly-2026Q1-2d"]]
    # On the due date itself, still; from the day after, never.
    assert ids(sh(2026, 4, 15, 23, 59)) == [["quarterly-2026Q1-7d", "quarterly-2026Q1-2d"]]
    assert ids(sh(2026, 4, 16, 0, 0)) == []
    # January: the fourth quarter's and the yearly report of the year before.
    assert ids(sh(2027, 1, 13, 9)) == [["quarterly-2026Q4-7d", "quarterly-2026Q4-2d"]]
    assert ids(sh(2027, 1, 29, 9)) == [["yearly-2026-7d", "yearly-2026-2d"]]
    # No lead days: nothing.
    assert pending(sh(2026, 4, 13, 9), [], CALENDAR, NINE) == []
