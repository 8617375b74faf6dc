"""When an enterprise's own statistics report falls due, and when it is reminded of it.

Pure: dates and a calendar in, reminders out. The quarterly report of quarter Q is due on the
15th of the first month of the next quarter (Q4 → 15 January of the next year), the yearly
report on 31 January of the next year. A reminder goes `lead` days before the due date at a
fixed Beijing time, moved earlier to the previous working day when that day is a weekend or
a holiday (an office closed that day would not read it). A reminder is due from its time
until the due date ends, never after: a late "please report by" helps nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.calendar import WorkCalendar
from shared.clock import SHANGHAI
from shared.contract import ReportKind

QUARTERLY_DUE_DAY = 15
YEARLY_DUE = (1, 31)  # 31 January of the next year


@dataclass(frozen=True, slots=True)
class Report:
    kind: ReportKind
    year: int
    quarter: int | None  # None for the yearly report
    due: date  # the last day to report (Beijing calendar date)

    @property
    def key(self) -> str:
        period = f"{self.year}" if self.quarter is None else f"{self.year}Q{self.quarter}"
        return f"{self.kind.value}-{period}"


@dataclass(frozen=True, slots=True)
class Reminder:
    report: Report
    lead_days: int
    at: datetime  # aware UTC

    @property
    def id(self) -> str:
        """Stable across runs and replicas: the table's key and the event id's seed."""
        return f"{self.report.key}-{self.lead_days}d"


def quarterly_due(year: int, quarter: int) -> date:
    if not 1 <= quarter <= 4:
        raise ValueError(f"no quarter {quarter}")
    if quarter == 4:
        return date(year + 1, 1, QUARTERLY_DUE_DAY)
    return date(year, 3 * quarter + 1, QUARTERLY_DUE_DAY)


def yearly_due(year: int) -> date:
    return date(year + 1, *YEARLY_DUE)


def reports_of(year: int) -> list[Report]:
    """The reports covering `year`: its four quarters and the year itself."""
    quarters = [Report(ReportKind.QUARTERLY, year, q, quarterly_due(year, q)) for q in range(1, 5)]
    return [*quarters, Report(ReportKind.YEARLY, year, None, yearly_due(year))]


def remind_at(due: date, lead_days: int, calendar: WorkCalendar, at: time) -> datetime:
    """`lead_days` before `due` at `at` (Beijing), on that day or the working day before it."""
    if lead_days < 0:
        raise ValueError(f"a reminder cannot come {lead_days} days before its due date")
    day = due - timedelta(days=lead_days)
    while not calendar.is_workday(day):
        day -= timedelta(days=1)
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def due_ends(report: Report) -> datetime:
    """The end of the due date (Beijing): no reminder of this report goes at or after it."""
    next_day = datetime.combine(report.due + timedelta(days=1), time(), tzinfo=SHANGHAI)
    return next_day.astimezone(UTC)


def reminders_of(
    report: Report, leads: Iterable[int], calendar: WorkCalendar, at: time
) -> list[Reminder]:
    return [
        Reminder(report, lead, remind_at(report.due, lead, calendar, at))
        for lead in sorted(set(leads), reverse=True)
    ]


def pending(
    now: datetime, leads: Iterable[int], calendar: WorkCalendar, at: time
) -> list[list[Reminder]]:
    """Per report not yet past its due date: its reminders whose time has come, earliest
    (longest lead) first. The caller sends what it has not sent yet."""
    leads = sorted(set(leads), reverse=True)
    today = now.astimezone(SHANGHAI).date()
    out: list[list[Reminder]] = []
    # A report due this year or next covers last year or this one: those are all that can
    # be pending (the longest lead is far under a year).
    for year in (today.year - 1, today.year):
        for report in reports_of(year):
            if now >= due_ends(report):
                continue
            came = [r for r in reminders_of(report, leads, calendar, at) if r.at <= now]
            if came:
                out.append(came)
    return out
