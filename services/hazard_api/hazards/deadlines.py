"""整改期限: set on the hazard, within the county's maximum for its level."""

from __future__ import annotations

from datetime import datetime

from services.hazard_api.config import Settings
from services.hazard_api.errors import FieldError
from services.hazard_api.hazards.models import Hazard
from shared.calendar import default_calendar
from shared.contract import DeadlineKind, HazardLevel


def set_deadline(h: Hazard, *, start: datetime, days: int, kind: DeadlineKind) -> None:
    deadline = default_calendar().deadline_after(start, days, kind)
    h.deadline_at, h.deadline_kind, h.deadline_days = deadline.at, kind.value, days
    h.deadline_provisional, h.deadline_start_at = deadline.provisional, start
    if h.original_deadline_at is None:
        h.original_deadline_at = deadline.at


def set_classified_deadline(
    h: Hazard,
    *,
    level: HazardLevel,
    start: datetime,
    days: int | None,
    kind: DeadlineKind | None,
    settings: Settings,
) -> None:
    """The classifier's deadline (default from configuration), refused past the county maximum
    for the level, whichever way it is counted."""
    major = level == HazardLevel.MAJOR
    days = days or (settings.major_deadline_days if major else settings.general_deadline_days)
    kind = kind or settings.general_deadline_kind
    longest = settings.major_deadline_max_days if major else settings.general_deadline_max_days
    calendar = default_calendar()
    limit = calendar.deadline_after(start, longest, DeadlineKind.CALENDAR_DAYS).at
    if calendar.deadline_after(start, days, kind).at > limit:
        noun = "重大事故隐患" if major else "一般事故隐患"
        raise FieldError("deadline_days", f"{noun}整改期限最长 {longest} 日（本县规定）")
    set_deadline(h, start=start, days=days, kind=kind)
