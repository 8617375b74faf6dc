"""Official holiday schedules as hazard_api broadcasts them (`org.calendar_schedule_loaded`):
kept here so a restart counts working days the same way, and used at once, without one.

A newly loaded schedule moves every pending step counted in working days across its year, and
its overdue notices to the next working morning: each open case is planned again on it. What
already fired stays fired (the cursor carries over, as on any re-plan), so nothing is sent twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import Case, CaseState
from services.escalation.cases.timeline import Planner, carry_position
from services.escalation.db import Base
from services.escalation.policy.service import ensure_registered
from shared.calendar import WorkCalendar, YearSchedule
from shared.contract import CalendarScheduleLoaded
from shared.db import UTCDateTime

if TYPE_CHECKING:
    from services.escalation.cases.flows import CaseFlows

log = logging.getLogger(__name__)

REASON = "calendar"  # CaseChanged.reason (shared.labels: 法定节假日安排已发布…)


class KnownSchedule(Base):
    """The version of a year's official schedule this service counts on."""

    __tablename__ = "holiday_schedules"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    holidays: Mapped[list[str]] = mapped_column(JSON)
    workdays: Mapped[list[str]] = mapped_column(JSON)
    notice_no: Mapped[str] = mapped_column(String(100))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _schedule(row: KnownSchedule) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays=[date.fromisoformat(d) for d in row.holidays],
        workdays=[date.fromisoformat(d) for d in row.workdays],
        source=row.notice_no,
    )


async def _known(session: AsyncSession) -> list[YearSchedule]:
    rows = await session.scalars(select(KnownSchedule).order_by(KnownSchedule.year))
    return [_schedule(row) for row in rows]


async def load_known(sessionmaker: async_sessionmaker[AsyncSession], calendar: WorkCalendar) -> int:
    """At start-up: the schedules received before into the calendar the planner counts on."""
    async with sessionmaker() as session:
        schedules = await _known(session)
    for schedule in schedules:
        calendar.load_year(schedule)
    return len(schedules)


async def on_loaded(flows: CaseFlows, session: AsyncSession, loaded: CalendarScheduleLoaded) -> int:
    """Keep the schedule, count on it, and plan each open case again; the number of cases
    whose plan moved. An older version than the one kept (a replay) changes nothing."""
    row = await session.get(KnownSchedule, loaded.year, with_for_update=True)
    if row is not None and row.version >= loaded.version:
        return 0
    # The plans in force were counted on the schedules kept here (read from the database, not
    # from memory: a redelivery after a rollback must still see the old calendar).
    before = flows.planner.with_calendar(WorkCalendar(await _known(session)))
    if row is None:
        row = KnownSchedule(year=loaded.year)
        session.add(row)
    row.version, row.notice_no, row.loaded_at = loaded.version, loaded.notice_no, loaded.loaded_at
    row.holidays = [d.isoformat() for d in sorted(set(loaded.holidays))]
    row.workdays = [d.isoformat() for d in sorted(set(loaded.workdays))]
    flows.planner.calendar.load_year(_schedule(row))
    return await _replan_open_cases(flows, session, before)


async def _replan_open_cases(flows: CaseFlows, session: AsyncSession, before: Planner) -> int:
    cases = await session.scalars(
        select(Case).where(Case.state != CaseState.STOPPED.value).order_by(Case.id)
    )
    moved = 0
    for case in cases:
        await ensure_registered(
            session=session, planner=flows.planner, snapshot_id=case.snapshot_id
        )
        if not before.knows(case.snapshot_id):
            before.register(case.snapshot_id, flows.planner.steps(case.snapshot_id))
        old, new = timeline_of(before, case), timeline_of(flows.planner, case)
        if old == new:
            continue
        case.cursor = carry_position(old, case.cursor, new)
        await flows.commit_plan(session, case, new, reason=REASON)
        moved += 1
    log.info("holiday schedule loaded: %d case(s) planned again", moved)
    return moved
