from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from shared.calendar import (
    CalendarResult,
    WorkCalendar,
    YearSchedule,
    default_calendar,
    statutory_holidays,
)
from shared.clock import SHANGHAI
from shared.contract import DeadlineKind

SATURDAY_2027 = date(2027, 2, 20)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def make_2027(**changes: object) -> YearSchedule:
    fields: dict[str, object] = {
        "year": 2027,
        "holidays": [date(2027, 2, 5) + timedelta(days=i) for i in range(7)],
        "workdays": [SATURDAY_2027],
        "source": "国务院办公厅关于2027年部分节假日安排的通知 (test)",
    }
    return YearSchedule.model_validate(fields | changes)


def test_official_make_up_day_and_holiday(cal: WorkCalendar) -> None:
    assert date(2026, 2, 14).weekday() == 5
    assert cal.is_workday(date(2026, 2, 14))  # 调休: Saturday before the Spring Festival
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert not cal.is_provisional(2026)


def test_five_workdays_over_national_day(cal: WorkCalendar) -> None:
    # 10-01..10-07 off; 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
    assert cal.add_workdays(date(2026, 9, 30), 5) == CalendarResult(date(2026, 10, 13), False)


def test_negative_and_zero_offsets(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2026, 10, 13), -5) == CalendarResult(date(2026, 9, 30), False)
    assert cal.add_workdays(date(2026, 10, 8), -1).day == date(2026, 9, 30)
    assert cal.add_workdays(date(2026, 10, 3), 0) == CalendarResult(date(2026, 10, 3), False)
    assert cal.add_workdays(date(2026, 10, 3), -1).day == date(2026, 9, 30)


def test_workdays_between_across_spring_festival(cal: WorkCalendar) -> None:
    # Steps onto 02-14 (make-up), 02-15..02-23 off, then 02-24..02-27.
    assert cal.workdays_between(date(2026, 2, 13), date(2026, 2, 27)).count == 5
    assert cal.workdays_between(date(2026, 2, 27), date(2026, 2, 13)).count == -5
    assert cal.workdays_between(date(2026, 2, 14), date(2026, 2, 23)).count == 0
    assert cal.workdays_between(date(2026, 2, 14), date(2026, 2, 14)).count == 0


@pytest.mark.parametrize("start", [date(2026, 2, 10), date(2026, 9, 27), date(2026, 12, 20)])
def test_workdays_between_inverts_add_workdays(cal: WorkCalendar, start: date) -> None:
    for n in range(-25, 26):
        assert cal.workdays_between(start, cal.add_workdays(start, n).day).count == n


def test_deadline_is_end_of_shanghai_day_in_utc(cal: WorkCalendar) -> None:
    # 00:30 in Shanghai on 09-30 is still 09-29 in UTC: the local date must win.
    start = datetime(2026, 9, 29, 16, 30, tzinfo=UTC)
    deadline = cal.deadline_after(start, 5, DeadlineKind.WORKING_DAYS)
    assert deadline.at == datetime(2026, 10, 13, 15, 59, 59, 999999, tzinfo=UTC)
    assert deadline.at.tzinfo is UTC
    assert deadline.at.astimezone(SHANGHAI).date() == date(2026, 10, 13)
    assert deadline.kind is DeadlineKind.WORKING_DAYS
    assert not deadline.provisional

    calendar_days = cal.deadline_after(start, 5, DeadlineKind.CALENDAR_DAYS)
    assert calendar_days.at == datetime(2026, 10, 5, 15, 59, 59, 999999, tzinfo=UTC)
    assert calendar_days.kind is DeadlineKind.CALENDAR_DAYS


def test_deadline_rejects_naive_start_and_negative_n(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        cal.deadline_after(datetime(2026, 9, 30, 10), 5, DeadlineKind.WORKING_DAYS)
    with pytest.raises(ValueError, match="-1"):
        cal.deadline_after(datetime(2026, 9, 30, tzinfo=UTC), -1, DeadlineKind.WORKING_DAYS)


def test_datetime_is_not_accepted_as_a_day(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="datetime"):
        cal.is_workday(datetime(2026, 9, 30, 20, tzinfo=UTC))


def test_2027_is_provisional_until_its_schedule_is_loaded(cal: WorkCalendar) -> None:
    start = datetime(2026, 12, 28, 9, tzinfo=SHANGHAI)
    assert cal.is_provisional(2027)
    assert not cal.is_workday(SATURDAY_2027)
    assert not cal.is_workday(date(2027, 10, 1))  # estimated from the `holidays` package
    assert cal.deadline_after(start, 5, DeadlineKind.WORKING_DAYS).provisional
    assert not cal.deadline_after(start, 5, DeadlineKind.CALENDAR_DAYS).provisional
    # Only the days actually walked over count: stepping back into 2026 is official.
    assert cal.add_workdays(date(2027, 1, 1), -3).provisional is False
    assert cal.add_workdays(date(2027, 1, 5), -3).provisional is True
    assert cal.add_workdays(date(2027, 2, 19), 1) == CalendarResult(date(2027, 2, 22), True)

    cal.load_year(make_2027())

    assert not cal.is_provisional(2027)
    assert cal.is_workday(SATURDAY_2027)
    assert not cal.is_workday(date(2027, 2, 10))  # a Wednesday the schedule makes a holiday
    deadline = cal.deadline_after(start, 5, DeadlineKind.WORKING_DAYS)
    assert not deadline.provisional
    # 12-29, 12-30, 12-31, then 2027-01-01 is a working day: this schedule omits New Year.
    assert deadline.at == datetime(2027, 1, 4, 15, 59, 59, 999999, tzinfo=UTC)
    assert cal.add_workdays(date(2027, 2, 19), 1) == CalendarResult(SATURDAY_2027, False)


def test_loaded_schedule_overrides_chinese_calendar(cal: WorkCalendar) -> None:
    assert cal.is_workday(date(2026, 10, 10))
    cal.load_year(
        YearSchedule(year=2026, holidays=[date(2026, 10, 8)], workdays=[], source="correction")
    )
    assert not cal.is_workday(date(2026, 10, 10))  # no longer a make-up day
    assert not cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 1))


def test_constructed_with_schedules_and_lists_them() -> None:
    s2026 = YearSchedule(year=2026, holidays=[date(2026, 1, 1)], source="x")
    cal = WorkCalendar([make_2027(), s2026])
    assert [s.year for s in cal.schedules()] == [2026, 2027]
    assert cal.is_workday(SATURDAY_2027)
    assert not cal.is_provisional(2027)


def test_schedule_normalises_dates() -> None:
    s = make_2027(holidays=[date(2027, 2, 6), date(2027, 2, 5), date(2027, 2, 6)])
    assert s.holidays == [date(2027, 2, 5), date(2027, 2, 6)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holidays": [date(2028, 1, 1)]}, "outside 2027.*2028-01-01"),
        ({"workdays": [date(2026, 12, 26)]}, "outside 2027.*2026-12-26"),
        ({"workdays": [date(2027, 2, 6)]}, "both holiday and make-up.*2027-02-06"),
        ({"workdays": [date(2027, 2, 17)]}, "not weekends.*2027-02-17"),
        ({"source": ""}, "source"),
    ],
)
def test_bad_schedule_is_rejected(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_2027(**changes)


def test_default_calendar_is_one_instance() -> None:
    assert default_calendar() is default_calendar()
    assert default_calendar().is_workday(date(2026, 2, 14))


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_day_is_off_in_the_official_schedules_packaged(year: int) -> None:
    # The check a loaded schedule must pass holds for the notices chinese-calendar carries.
    days = statutory_holidays(year)
    assert len(days) == 13  # 放假办法 (2025 on): 元旦1、春节4、清明1、劳动节2、端午1、中秋1、国庆3
    assert {name for _, name in days} == {
        "元旦",
        "农历除夕",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
    }
    assert [d for d, _ in days if chinese_calendar.is_workday(d)] == []


def test_the_statutory_days_of_a_year_without_a_notice() -> None:
    days = dict(statutory_holidays(2027))
    assert days[date(2027, 2, 5)] == "农历除夕" and days[date(2027, 9, 15)] == "中秋节"
    assert days[date(2027, 4, 5)] == "清明节" and days[date(2027, 6, 9)] == "端午节"
    assert date(2027, 10, 4) not in days  # a rest day the notice decides, not the law
