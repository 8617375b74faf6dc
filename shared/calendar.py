"""Working days (工作日) in Asia/Shanghai, including the State Council's make-up days (调休).

Each year comes from the first source that has it:
1. a schedule an administrator loaded (`YearSchedule`), as published each winter;
2. the `chinese-calendar` package (official data; release 1.11 knows 2004-2026);
3. an estimate from the `holidays` package, marked *provisional*.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Self

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.clock import SHANGHAI
from shared.contract import DeadlineKind

_ONE_DAY = timedelta(days=1)
_MEMO_SIZE = 1 << 16


class YearSchedule(BaseModel):
    """The official holiday schedule of one year (国务院办公厅关于某年部分节假日安排的通知)."""

    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=1, le=9999)
    holidays: list[date] = Field(max_length=366)
    workdays: list[date] = Field(default_factory=list, max_length=366)  # 调休 make-up days
    source: str = Field(min_length=1, max_length=20_000)

    @field_validator("holidays", "workdays")
    @classmethod
    def _sorted_unique(cls, days: list[date]) -> list[date]:
        return sorted(set(days))

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        outside = [d for d in (*self.holidays, *self.workdays) if d.year != self.year]
        if outside:
            raise ValueError(f"dates outside {self.year} in its schedule: {_iso(outside)}")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"dates both holiday and make-up working day: {_iso(both)}")
        # Make-up days are always weekends; a weekday here is a typo that would go unnoticed.
        weekdays = [d for d in self.workdays if d.weekday() < 5]
        if weekdays:
            raise ValueError(f"make-up working days that are not weekends: {_iso(weekdays)}")
        return self


@dataclass(frozen=True, slots=True)
class CalendarResult:
    day: date
    provisional: bool


@dataclass(frozen=True, slots=True)
class WorkdayCount:
    count: int
    provisional: bool


@dataclass(frozen=True, slots=True)
class Deadline:
    at: datetime  # aware UTC: the end of the target day in Asia/Shanghai
    kind: DeadlineKind
    provisional: bool


@dataclass(frozen=True, slots=True)
class _YearTable:
    first: int  # ordinal of 1 January
    workday: tuple[bool, ...]  # indexed by day of the year, from 0
    provisional: bool


class WorkCalendar:
    """Storage-agnostic: the services persist schedules and hand them in."""

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        self._schedules: dict[int, YearSchedule] = {}
        # Bumped by every load: callers memoising answers of this calendar drop them then.
        self.generation = 0
        self._tables: dict[int, _YearTable] = {}
        # Deadlines are computed for every timer (the 1M-timer bench), mostly from a few
        # hundred distinct start days: memoising whole answers beats walking day by day.
        self._shift = functools.lru_cache(maxsize=_MEMO_SIZE)(self._walk)
        self._end_of_day = functools.lru_cache(maxsize=_MEMO_SIZE)(self._deadline_on)
        for schedule in schedules:
            self.load_year(schedule)

    def load_year(self, schedule: YearSchedule) -> None:
        """Use `schedule` for its year, in preference to any other source."""
        self._schedules[schedule.year] = schedule
        self._tables.pop(schedule.year, None)
        self.generation += 1
        self._shift.cache_clear()
        self._end_of_day.cache_clear()

    def reset(self, schedules: Iterable[YearSchedule] = ()) -> None:
        """Exactly these loaded schedules, forgetting any other (tests start from none)."""
        self._schedules.clear()
        self._tables.clear()
        self.generation += 1
        self._shift.cache_clear()
        self._end_of_day.cache_clear()
        for schedule in schedules:
            self.load_year(schedule)

    def copy(self) -> WorkCalendar:
        """A calendar with the same loaded schedules (what deadlines were computed on before a
        new schedule is loaded)."""
        return WorkCalendar(self._schedules.values())

    def schedules(self) -> list[YearSchedule]:
        return [self._schedules[year] for year in sorted(self._schedules)]

    def is_provisional(self, year: int) -> bool:
        return self._table(year).provisional

    def is_workday(self, day: date) -> bool:
        _require_date(day)
        table = self._table(day.year)
        return table.workday[day.toordinal() - table.first]

    def add_workdays(self, start: date, n: int) -> CalendarResult:
        """The n-th working day after `start` (before it if n < 0); `start` itself when n == 0."""
        _require_date(start)
        return self._shift(start, n)

    def workdays_between(self, a: date, b: date) -> WorkdayCount:
        """Working days stepped onto walking from `a` to `b`: (a, b] forwards, [b, a) negated.

        So `workdays_between(a, add_workdays(a, n).day).count == n` for every n.
        """
        _require_date(a)
        _require_date(b)
        if b < a:
            back = self.workdays_between(b - _ONE_DAY, a - _ONE_DAY)
            return WorkdayCount(-back.count, back.provisional)
        count, provisional = 0, False
        for year in range(a.year, b.year + 1):
            table = self._table(year)
            lo = max(a.toordinal() + 1, table.first) - table.first
            hi = min(b.toordinal() + 1, table.first + len(table.workday)) - table.first
            if lo < hi:
                count += sum(table.workday[lo:hi])
                provisional = provisional or table.provisional
        return WorkdayCount(count, provisional)

    def deadline_after(self, start: datetime, n: int, kind: DeadlineKind) -> Deadline:
        """限期: the end of the n-th (working or calendar) day after `start`'s Shanghai date."""
        if start.tzinfo is None:
            raise ValueError("deadline_after needs an aware datetime")
        if n < 0:
            raise ValueError(f"a deadline cannot be {n} days after its start")
        return self._end_of_day(start.astimezone(SHANGHAI).date(), n, kind)

    def _deadline_on(self, local_day: date, n: int, kind: DeadlineKind) -> Deadline:
        kind = DeadlineKind(kind)  # a plain "working_days" string hashes to the same cache slot
        if kind is DeadlineKind.WORKING_DAYS:
            result = self._shift(local_day, n)
        else:
            result = CalendarResult(local_day + timedelta(days=n), provisional=False)
        end = datetime.combine(result.day, time.max, tzinfo=SHANGHAI)
        return Deadline(at=end.astimezone(UTC), kind=kind, provisional=result.provisional)

    def _walk(self, start: date, n: int) -> CalendarResult:
        step = 1 if n >= 0 else -1
        ordinal, left, provisional = start.toordinal(), abs(n), False
        table = self._table(start.year)
        while left:
            ordinal += step
            index = ordinal - table.first
            if not 0 <= index < len(table.workday):
                table = self._table(date.fromordinal(ordinal).year)
                index = ordinal - table.first
            provisional = provisional or table.provisional
            if table.workday[index]:
                left -= 1
        return CalendarResult(date.fromordinal(ordinal), provisional)

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build(year)
        return table

    def _build(self, year: int) -> _YearTable:
        length = date(year, 12, 31).timetuple().tm_yday
        days = [date(year, 1, 1) + timedelta(days=i) for i in range(length)]
        schedule = self._schedules.get(year)
        if schedule is not None:
            rest, extra = set(schedule.holidays), set(schedule.workdays)
            flags = [d in extra or (d.weekday() < 5 and d not in rest) for d in days]
            return _YearTable(days[0].toordinal(), tuple(flags), provisional=False)
        try:
            flags = [chinese_calendar.is_workday(d) for d in days]
            return _YearTable(days[0].toordinal(), tuple(flags), provisional=False)
        except NotImplementedError:  # outside the package's years
            pass
        # Imported here: it costs ~0.1 s and is only needed past chinese-calendar's range.
        from holidays import country_holidays

        # `is_working_day` is weekday-and-not-holiday, plus any make-up days the package
        # happens to know; for years it has no official data for, it knows none.
        estimate = country_holidays("CN", years=year)
        flags = [estimate.is_working_day(d) for d in days]
        return _YearTable(days[0].toordinal(), tuple(flags), provisional=True)


@functools.cache
def statutory_holidays(year: int) -> tuple[tuple[date, str], ...]:
    """The days 《全国年节及纪念日放假办法》 gives off in `year` (as amended for 2025 on: 除夕,
    5月2日), by name: every official schedule has each of them among its holidays, whatever
    it moves around them. Lunar festivals and 清明 are computed by the `holidays` package."""
    from holidays import country_holidays

    days = country_holidays("CN", years=year, observed=False, language="zh_CN")
    # For years it has the official schedule of, the package lists its 调休 rest days too.
    return tuple(sorted((d, name) for d, name in days.items() if "调休" not in name))


@functools.cache
def default_calendar() -> WorkCalendar:
    """The process-wide calendar; a service loads its stored schedules into it at start-up."""
    return WorkCalendar()


def _require_date(day: date) -> None:
    # A datetime is a date to the type checker, but its .date() may be the UTC day, not ours.
    if isinstance(day, datetime):
        raise TypeError("pass the Asia/Shanghai calendar date, not a datetime")


def _iso(days: Iterable[date]) -> str:
    return ", ".join(d.isoformat() for d in days)
