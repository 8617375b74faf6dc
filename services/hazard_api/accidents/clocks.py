"""The statutory clocks of an accident (国务院令第493号), as pure functions of its facts.

- upward report (上报): 2 hours from receipt; done once a report is signed off (签发);
- supplementary window (补报): 30 days from the accident, 7 for road traffic and fire; within
  it a casualty change moves the statutory class;
- investigation report (调查报告): 60 days from the accident, one extension of at most 60 days;
- decision on the report (批复): 15 days from its submission (特别重大: 30, one extension of 30).

Each clock is pending, overdue or done as of `now`; the escalation service chases them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.contract import AccidentClass

UPWARD_REPORT = timedelta(hours=2)
INVESTIGATION_DAYS = 60
INVESTIGATION_EXTENSION_MAX_DAYS = 60
DECISION_DAYS = 15
DECISION_DAYS_ESPECIALLY_MAJOR = 30
DECISION_EXTENSION_MAX_DAYS = 30
LATE_AFTER = timedelta(hours=1)  # 迟报: an enterprise's report after the hour (第九条)
# Road traffic and fire: casualty changes reported within 7 days (第十三条).
SHORT_WINDOW_TYPES = frozenset({"road_traffic", "fire"})


class ClockState(StrEnum):
    PENDING = "pending"
    OVERDUE = "overdue"
    DONE = "done"


CLOCK_STATE_LABELS = {
    ClockState.PENDING: "进行中",
    ClockState.OVERDUE: "已逾期",
    ClockState.DONE: "已完成",
}


@dataclass(frozen=True)
class Clock:
    key: str
    title: str
    due_at: datetime
    state: ClockState


def supplement_window_days(accident_type: str) -> int:
    return 7 if accident_type in SHORT_WINDOW_TYPES else 30


def supplement_window_end(occurred_at: datetime, accident_type: str) -> datetime:
    return occurred_at + timedelta(days=supplement_window_days(accident_type))


def upward_report_due(received_at: datetime) -> datetime:
    return received_at + UPWARD_REPORT


def investigation_due(occurred_at: datetime, extension_days: int) -> datetime:
    return occurred_at + timedelta(days=INVESTIGATION_DAYS + extension_days)


def decision_due(reported_at: datetime, cls: AccidentClass, extension_days: int) -> datetime:
    days = (
        DECISION_DAYS_ESPECIALLY_MAJOR if cls == AccidentClass.ESPECIALLY_MAJOR else DECISION_DAYS
    )
    return reported_at + timedelta(days=days + extension_days)


def late_minutes(occurred_at: datetime, received_at: datetime) -> int | None:
    """迟报: the delay in minutes of an enterprise's report received after the hour (None: in
    time; exactly 60 minutes is in time)."""
    delay = received_at - occurred_at
    if delay <= LATE_AFTER:
        return None
    return int(delay.total_seconds() // 60)


def state(due_at: datetime, done_at: datetime | None, now: datetime) -> ClockState:
    if done_at is not None:
        return ClockState.DONE
    return ClockState.OVERDUE if now > due_at else ClockState.PENDING
