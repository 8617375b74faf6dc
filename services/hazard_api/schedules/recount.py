"""Open working-day deadlines counted again when a year's official schedule is loaded.

Each hazard whose deadline moves (or stops being an estimate) changes through the transition
kernel, as the county office that loaded the schedule: audited, on its timeline (old → new
date) and announced with `hazard.deadline_recomputed`, on which escalation re-plans the
hazard's pending reminders as it does for any moved deadline.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.errors import DomainError
from services.hazard_api.hazards.kind import HAZARD
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.states import Action
from services.hazard_api.items.kernel import Change, Context, Outcome, transition
from shared.calendar import WorkCalendar, default_calendar
from shared.clock import SHANGHAI, Clock, local
from shared.contract import DeadlineKind, HazardEventType, HazardStatus

log = logging.getLogger(__name__)

RUNNING = (HazardStatus.CLASSIFIED, HazardStatus.RECTIFYING, HazardStatus.RECTIFICATION_REPORTED)


class Unchanged(Exception):
    """The deadline is what the calendar says: nothing to record (the transaction rolls back)."""


def _start_of(h: Hazard, before: WorkCalendar) -> datetime:
    """What the deadline counts from. Hazards from before the start was kept: the day that
    many working days before the deadline on the calendar it was counted on."""
    if h.deadline_start_at is not None:
        return h.deadline_start_at
    assert h.deadline_at is not None and h.deadline_days is not None
    day = before.add_workdays(local(h.deadline_at).date(), -h.deadline_days).day
    return datetime.combine(day, time(12), tzinfo=SHANGHAI).astimezone(UTC)


def recount(before: WorkCalendar, notice_no: str | None) -> Change[Hazard, bool]:
    """The deadline counted again on the calendar in force (`before`: the one it was counted
    on); `Unchanged` when that gives the same deadline."""

    async def change(h: Hazard, ctx: Context) -> Outcome[bool]:
        if h.deadline_kind != DeadlineKind.WORKING_DAYS or h.deadline_days is None:
            raise Unchanged
        new = default_calendar().deadline_after(
            _start_of(h, before), h.deadline_days, DeadlineKind.WORKING_DAYS
        )
        old_at = h.deadline_at
        if (new.at, new.provisional) == (old_at, h.deadline_provisional):
            raise Unchanged
        if h.original_deadline_at == old_at:  # a correction of the order, not an extension
            h.original_deadline_at = new.at
        h.deadline_at, h.deadline_provisional = new.at, new.provisional
        return Outcome(
            True,
            HazardEventType.DEADLINE_RECOMPUTED,
            extra={
                "previous_deadline_at": old_at.isoformat() if old_at else None,
                "calendar_notice_no": notice_no,
            },
            note=f"法定节假日安排已发布（{notice_no}）"
            if notice_no
            else "按现行法定节假日安排重算",
        )

    return change


async def recount_deadlines(
    *,
    year: int,
    notice_no: str,
    before: WorkCalendar,
    user: AuthUser,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    only_provisional: bool = False,
) -> int:
    """Count again every running working-day deadline that reaches into `year` (or only the
    estimated ones); the number of hazards whose deadline changed. One transaction per
    hazard (the kernel's, on `session`: on SQLite a second session would wait for the
    request's)."""
    reaches = datetime(year, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    ids = list(
        await session.scalars(
            select(Hazard.id)
            .where(
                Hazard.status.in_([s.value for s in RUNNING]),
                Hazard.deadline_kind == DeadlineKind.WORKING_DAYS.value,
                Hazard.deadline_at >= reaches,
                *([Hazard.deadline_provisional.is_(True)] if only_provisional else []),
            )
            .order_by(Hazard.id)
        )
    )
    await session.rollback()  # ends the read: each hazard below is its own transaction
    moved = 0
    change = recount(before, notice_no)
    for hazard_id in ids:
        ctx = Context(session, user, clock.now(), settings)
        try:
            await transition(HAZARD, hazard_id, Action.RECOUNT_DEADLINE, change, ctx)
        except Unchanged:
            await session.rollback()
            continue
        except DomainError as exc:  # closed or voided meanwhile: its deadline no longer runs
            await session.rollback()
            log.info("hazard %s: deadline not counted again (%s)", hazard_id, exc.message)
            continue
        moved += 1
    return moved
