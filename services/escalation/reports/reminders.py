"""The periodic loop that sends report reminders (`escalation.report_due`) when they come due.

Each tick asks the schedule which reminders' times have passed for reports not yet due, and
sends those without a row in `report_reminders`: the row and the outbox event in one
transaction per report. A replica or a second tick that races it hits the primary key (or
the outbox's unique event id), rolls back and finds the row next time. The first tick runs
at start-up, so a reminder whose time passed while the service was down goes then — if its
report is not yet due.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.escalation.db import outbox_tables
from services.escalation.reports.models import ReminderState, ReportReminder
from services.escalation.reports.schedule import Reminder, pending
from shared.calendar import WorkCalendar
from shared.clock import Clock
from shared.contract import ESCALATION_EVENTS, ChainRole, Envelope, Producer, ReportDue
from shared.db import make_sessionmaker
from shared.loops import start_loop, stop_loop
from shared.outbox import add_event

log = logging.getLogger(__name__)

REMINDER_NAMESPACE = uuid.UUID("6f1d2c3b-4a5e-5f60-9b7c-8d9e0a1b2c3d")
# Who keeps an enterprise's statistics: its principal answers for them, its safety manager
# compiles them.
TARGET_ROLES = (ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.ENTERPRISE_SAFETY_MANAGER)


def event_id_of(reminder: Reminder) -> uuid.UUID:
    return uuid.uuid5(REMINDER_NAMESPACE, reminder.id)


def report_due(reminder: Reminder) -> ReportDue:
    report = reminder.report
    return ReportDue(
        reminder_id=reminder.id,
        kind=report.kind,
        year=report.year,
        quarter=report.quarter,
        due_date=report.due,
        lead_days=reminder.lead_days,
        target_roles=list(TARGET_ROLES),
        remind_at=reminder.at,
    )


class ReportReminders:
    def __init__(
        self,
        engine: AsyncEngine,
        calendar: WorkCalendar,
        clock: Clock,
        *,
        lead_days: Sequence[int],
        at: time,
        interval_seconds: float = 60.0,
    ) -> None:
        self.sessionmaker = make_sessionmaker(engine)
        self.calendar = calendar
        self.clock = clock
        self.lead_days = list(lead_days)
        self.at = at
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = start_loop(self._run(), name="escalation-report-reminders")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_loop(task)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("report reminders: tick failed")
            await self.clock.sleep(self.interval_seconds)

    async def tick(self) -> list[str]:
        """One pass; returns the ids of the reminders this pass sent."""
        if not self.lead_days:
            return []
        now = self.clock.now()
        sent: list[str] = []
        for came in pending(now, self.lead_days, self.calendar, self.at):
            async with self.sessionmaker() as session:
                done = set(
                    (
                        await session.scalars(
                            select(ReportReminder.id).where(
                                ReportReminder.id.in_([r.id for r in came])
                            )
                        )
                    ).all()
                )
            fresh = [r for r in came if r.id not in done]
            if fresh and await self._send(fresh, now):
                sent.append(fresh[-1].id)
        return sent

    async def _send(self, fresh: list[Reminder], now: datetime) -> bool:
        """The latest of `fresh` goes; the earlier ones (their times passed unsent) are
        recorded as superseded, so one person gets one text, not two in a row."""
        latest = fresh[-1]
        try:
            async with self.sessionmaker() as session, session.begin():
                for reminder in fresh:
                    is_latest = reminder is latest
                    session.add(
                        ReportReminder(
                            id=reminder.id,
                            kind=reminder.report.kind.value,
                            year=reminder.report.year,
                            quarter=reminder.report.quarter,
                            due_date=reminder.report.due,
                            lead_days=reminder.lead_days,
                            remind_at=reminder.at,
                            state=ReminderState.SENT if is_latest else ReminderState.SUPERSEDED,
                            event_id=str(event_id_of(reminder)) if is_latest else None,
                            created_at=now,
                        )
                    )
                await session.flush()  # the key first: a racing replica fails here, not later
                envelope = Envelope.of(
                    report_due(latest),
                    aggregate_id=latest.report.key,
                    producer=Producer.ESCALATION,
                    occurred_at=now,
                    event_id=event_id_of(latest),
                )
                await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)
        except IntegrityError:
            log.info("report reminder %s: sent by another process", latest.id)
            return False
        log.info("report reminder %s sent (due %s)", latest.id, latest.report.due)
        return True
