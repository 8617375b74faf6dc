"""A year's official holiday schedule: its checks (one set for the API and the CLI), its
storage with who loaded it, the event that tells the other services, and this process's
calendar. Loading it then counts open working-day deadlines again (`recount`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.db import outbox_tables
from services.hazard_api.errors import FieldError
from services.hazard_api.schedules.models import HolidaySchedule, ScheduleIn, ScheduleOut
from services.hazard_api.schedules.recount import recount_deadlines
from shared.calendar import WorkCalendar, YearSchedule, default_calendar, statutory_holidays
from shared.clock import Clock, local
from shared.contract import ORG_EVENTS, CalendarScheduleLoaded, Envelope, Producer
from shared.outbox import add_event


class ScheduleRejected(FieldError):
    """Every problem of a schedule at once (a clerk fixes the file in one go)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems[0][0], "；".join(message for _, message in problems))
        self.problems = problems


def _days(days: Iterable[date]) -> str:
    return "、".join(f"{d.year}年{d.month}月{d.day}日" for d in days)


def check(data: ScheduleIn, *, year: int, today: date) -> YearSchedule:
    """The schedule of `year`, or `ScheduleRejected` naming each wrong date in Chinese."""
    problems: list[tuple[str, str]] = []
    if data.year is not None and data.year != year:
        problems.append(("year", f"文件中的年份（{data.year}年）与要导入的年份（{year}年）不一致"))
    # Next year's schedule is published in the autumn; a correction of this or last year's
    # may follow. Anything else is a typo that would silently never be used.
    first, last = today.year - 1, today.year + 1
    if not first <= year <= last:
        problems.append(("year", f"只能导入{first}年至{last}年的放假安排，不能导入{year}年"))
    lists = (("holidays", data.holidays, "放假日期"), ("workdays", data.workdays, "调休上班日期"))
    for field, days, noun in lists:
        twice = sorted(d for d, n in Counter(days).items() if n > 1)
        if twice:
            problems.append((field, f"{noun}重复：{_days(twice)}"))
        outside = sorted({d for d in days if d.year != year})
        if outside:
            problems.append((field, f"{noun}不在{year}年内：{_days(outside)}"))
    both = sorted(set(data.holidays) & set(data.workdays))
    if both:
        problems.append(("workdays", f"以下日期既是放假日期又是调休上班日期：{_days(both)}"))
    weekdays = sorted({d for d in data.workdays if d.weekday() < 5})
    if weekdays:
        problems.append(
            ("workdays", f"调休上班日期应为周六或周日，以下日期是周一至周五：{_days(weekdays)}")
        )
    listed = set(data.holidays)
    missing = [(d, name) for d, name in statutory_holidays(year) if d not in listed]
    if missing and first <= year <= last:
        # A notice always gives every statutory day off; one missing is a truncated file or a
        # typo, and would make a festival a working day for every deadline of the year.
        named = "、".join(f"{d.month}月{d.day}日（{name}）" for d, name in missing)
        problems.append(("holidays", f"放假日期缺少{year}年的法定节假日：{named}"))
    if problems:
        raise ScheduleRejected(problems)
    return YearSchedule(
        year=year, holidays=data.holidays, workdays=data.workdays, source=data.notice_no
    )


def schedule_of(row: HolidaySchedule) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays=[date.fromisoformat(d) for d in row.holidays],
        workdays=[date.fromisoformat(d) for d in row.workdays],
        source=row.notice_no,
    )


async def current(session: AsyncSession, year: int) -> HolidaySchedule | None:
    return await session.scalar(
        select(HolidaySchedule)
        .where(HolidaySchedule.year == year)
        .order_by(HolidaySchedule.version.desc())
        .limit(1)
    )


def out(
    row: HolidaySchedule | None,
    year: int,
    calendar: WorkCalendar,
    *,
    recomputed: int | None = None,
) -> ScheduleOut:
    if row is not None:
        return ScheduleOut(
            year=year,
            provisional=False,
            source="loaded",
            holidays=[date.fromisoformat(d) for d in row.holidays],
            workdays=[date.fromisoformat(d) for d in row.workdays],
            notice_no=row.notice_no,
            version=row.version,
            loaded_by_username=row.loaded_by_username,
            loaded_via=row.loaded_via,
            loaded_at=row.loaded_at,
            recomputed_hazards=recomputed,
        )
    # Packaged or estimated: the days this calendar gives the year.
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
    days = [d for d in days if d.year == year]
    provisional = calendar.is_provisional(year)
    return ScheduleOut(
        year=year,
        provisional=provisional,
        source="estimated" if provisional else "packaged",
        holidays=[d for d in days if d.weekday() < 5 and not calendar.is_workday(d)],
        workdays=[d for d in days if d.weekday() >= 5 and calendar.is_workday(d)],
    )


@dataclass(frozen=True)
class Loader:
    """Who loads, through what (`api` or `cli`), with the service's parts."""

    user: AuthUser
    via: str
    session: AsyncSession
    settings: Settings
    clock: Clock


async def load(data: ScheduleIn, *, year: int, by: Loader) -> ScheduleOut:
    """Check, store (a new version if the year had one), tell the other services, use it
    here, and count again every open working-day deadline it changes. Loading the version
    in force again changes nothing and tells no one."""
    now = by.clock.now()
    schedule = check(data, year=year, today=local(now).date())
    calendar = default_calendar()
    session = by.session
    row = await current(session, year)
    if row is not None and _same(row, data):
        return out(row, year, calendar, recomputed=0)
    row = await _store(session, schedule, data.notice_no, previous=row, by=by, now=now)
    await session.commit()
    result = out(row, year, calendar)
    # What the open deadlines were counted on: the calendar before this schedule.
    before = calendar.copy()
    calendar.load_year(schedule)
    moved = await recount_deadlines(
        year=year,
        notice_no=data.notice_no,
        before=before,
        user=by.user,
        session=session,
        settings=by.settings,
        clock=by.clock,
    )
    return result.model_copy(update={"recomputed_hazards": moved})


def _same(row: HolidaySchedule, data: ScheduleIn) -> bool:
    return (
        row.notice_no == data.notice_no
        and row.holidays == sorted(d.isoformat() for d in set(data.holidays))
        and row.workdays == sorted(d.isoformat() for d in set(data.workdays))
    )


async def _store(
    session: AsyncSession,
    schedule: YearSchedule,
    notice_no: str,
    *,
    previous: HolidaySchedule | None,
    by: Loader,
    now: datetime,
) -> HolidaySchedule:
    if previous is not None:
        previous.replaced_at = now
    row = HolidaySchedule(
        year=schedule.year,
        version=(previous.version if previous is not None else 0) + 1,
        holidays=[d.isoformat() for d in schedule.holidays],
        workdays=[d.isoformat() for d in schedule.workdays],
        notice_no=notice_no,
        loaded_by_user_id=by.user.id,
        loaded_by_username=by.user.username,
        loaded_via=by.via,
        loaded_at=now,
    )
    session.add(row)
    loaded = CalendarScheduleLoaded(
        year=row.year,
        version=row.version,
        holidays=schedule.holidays,
        workdays=schedule.workdays,
        notice_no=notice_no,
        loaded_by=by.user.id,
        loaded_at=now,
    )
    envelope = Envelope.of(
        loaded, aggregate_id=f"calendar:{row.year}", producer=Producer.HAZARD_API, occurred_at=now
    )
    await add_event(session, outbox_tables.outbox, envelope, ORG_EVENTS, now=now)
    return row
