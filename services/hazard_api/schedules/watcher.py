"""This process's calendar follows the schedules in the database: at start-up, and every
`REFRESH_SECONDS` for a schedule loaded by another process (the `duban calendar load` command,
another replica). A deadline computed here meanwhile on the estimate is counted again then."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.schedules.models import HolidaySchedule
from services.hazard_api.schedules.recount import recount_deadlines
from services.hazard_api.schedules.service import schedule_of
from shared.calendar import default_calendar
from shared.clock import Clock
from shared.loops import start_loop, stop_loop

log = logging.getLogger(__name__)

REFRESH_SECONDS = 30.0


async def county_office_user(session: AsyncSession, user_id: str) -> AuthUser | None:
    user = await session.get(User, user_id)
    if user is None or not user.active or user.role != UserRole.COUNTY_OFFICE.value:
        return None
    return AuthUser(
        id=user.id,
        username=user.username,
        role=UserRole(user.role),
        unit_id=user.unit_id,
        person_id=user.person_id,
        scopes=frozenset(user.scopes.split()),
    )


async def refresh(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock
) -> int:
    """Load each year's schedule in force that this process does not count on yet, then
    count again the estimated deadlines that reach into it; the number of years loaded."""
    calendar = default_calendar()
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(HolidaySchedule)
                .where(HolidaySchedule.replaced_at.is_(None))
                .order_by(HolidaySchedule.year)
            )
        )
        known = {s.year: s for s in calendar.schedules()}
        fresh = [(row, schedule_of(row)) for row in rows]
        # Plain values: the rollback below expires the rows.
        todo = [
            (s, row.notice_no, await county_office_user(session, row.loaded_by_user_id))
            for row, s in fresh
            if known.get(s.year) != s
        ]
        await session.rollback()
        for schedule, notice_no, user in todo:
            before = calendar.copy()
            calendar.load_year(schedule)
            if user is None:
                log.warning(
                    "calendar %s: loaded by an inactive account; not recounted", schedule.year
                )
                continue
            await recount_deadlines(
                year=schedule.year,
                notice_no=notice_no,
                before=before,
                user=user,
                session=session,
                settings=settings,
                clock=clock,
                only_provisional=True,
            )
    return len(todo)


class ScheduleWatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        interval: float = REFRESH_SECONDS,
    ) -> None:
        self.sessionmaker, self.settings, self.clock = sessionmaker, settings, clock
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await refresh(self.sessionmaker, self.settings, self.clock)
        self._task = start_loop(self._run(), name="hazard-api-calendar")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_loop(task)

    async def _run(self) -> None:
        while True:
            await self.clock.sleep(self.interval)
            try:
                await refresh(self.sessionmaker, self.settings, self.clock)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("calendar: refresh failed")
