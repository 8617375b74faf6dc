"""The scheduler: fires due steps exactly once, however many processes run it.

One batch is one transaction: claim due timers with their cases (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite has a single writer), advance each cursor only if its fencing token still
matches, compute the next fire time, and write the `StepFired` events to the outbox. Only the
narrow `case_timers` rows are written; the case rows are read. A crash before commit
leaves nothing behind; after commit the relay publishes. The event id is derived from
(case, fence, cursor), so even a duplicate firing could not reach the outbox twice.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.escalation.cases import service
from services.escalation.cases.models import CaseState, CaseTimer
from services.escalation.cases.timeline import Planner, next_fire_at
from services.escalation.db import outbox_tables
from services.escalation.policy.models import Step
from services.escalation.policy.service import ensure_registered
from services.escalation.tasks.flows import FiredTask, create_tasks, task_id_for
from services.escalation.timers import metrics
from services.escalation.timers.step_events import (
    step_event_id,
    step_fired_json,
    step_fragment,
    unsupervised,
)
from shared.clock import Clock
from shared.contract import ESCALATION_EVENTS
from shared.db import make_sessionmaker
from shared.loops import start_loop, stop_loop
from shared.outbox import OutboxRow, add_serialized_events

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    claimed: int = 0
    fired: int = 0
    stale: int = 0
    lateness: list[float] = field(default_factory=list)


class Scheduler:
    def __init__(
        self,
        engine: AsyncEngine,
        planner: Planner,
        clock: Clock,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        crash_point: str | None = None,
        keep_lateness: bool = False,
    ) -> None:
        self.engine = engine
        self.sessionmaker = make_sessionmaker(engine)
        self.planner = planner
        self.clock = clock
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.crash_point = crash_point
        self.keep_lateness = keep_lateness
        self.lateness: list[float] = []
        self.fired = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._fragments: dict[tuple[int, str, bool], str] = {}

    # ------------------------------------------------------------------ loop
    async def start(self) -> None:
        self._task = start_loop(self._run(), name="escalation-scheduler")

    def wake(self) -> None:
        """A step fell due now (a case started or moved in this process): fire it without
        waiting for the poll interval."""
        self._wake.set()

    async def _idle(self, seconds: float) -> None:
        self._wake.clear()
        sleep = asyncio.ensure_future(self.clock.sleep(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleep, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleep.cancel()
            woken.cancel()

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_loop(task)

    async def _run(self) -> None:
        while True:
            try:
                result = await self.fire_batch(self.batch_size)
                # Inside the try too: the database failing here (`make chaos` seed 3333, a
                # connection reset) ended the loop for good, and no step fired any more.
                idle = await self._idle_seconds() if result.claimed == 0 else 0.0
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler: batch failed; retrying")
                await self.clock.sleep(self.poll_seconds)
                continue
            if idle:
                await self._idle(idle)
            else:
                await asyncio.sleep(0)  # let other tasks run between busy batches

    async def _idle_seconds(self) -> float:
        """Until the next due step, at most one poll interval (other processes add cases)."""
        async with self.engine.connect() as conn:
            soonest = await conn.scalar(select(func.min(CaseTimer.due_at)))
        if soonest is None:
            return self.poll_seconds
        if soonest.tzinfo is None:  # SQLite aggregates lose the column type
            soonest = soonest.replace(tzinfo=self.clock.now().tzinfo)
        wait: float = (soonest - self.clock.now()).total_seconds()
        return min(self.poll_seconds, max(wait, 0.001))

    async def run_due(self, limit: int | None = None) -> int:
        """Fire everything due now (at most `limit` steps); returns how many fired."""
        fired = 0
        while limit is None or fired < limit:
            size = self.batch_size if limit is None else min(self.batch_size, limit - fired)
            result = await self.fire_batch(size)
            fired += result.fired
            if result.claimed == 0:
                break
        return fired

    # ------------------------------------------------------------------ one batch
    async def fire_batch(self, limit: int) -> BatchResult:
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            rows = await service.claim_due(session=session, now=now, limit=limit)
            if not rows:
                return BatchResult()
            result, due_by_id = await self.execute(session, rows, now)
        committed = self.clock.now()
        lateness = [(committed - due).total_seconds() for due in due_by_id.values()]
        for late in lateness:
            metrics.STEP_LATENESS.observe(late)
        if self.keep_lateness:
            self.lateness.extend(lateness)
        self.fired += result.fired
        return result

    async def execute(
        self, session: AsyncSession, rows: Sequence[service.Claim], now: datetime
    ) -> tuple[BatchResult, dict[str, datetime]]:
        """Fire the occurrence at each claimed row's cursor, inside the caller's transaction.

        Rows read under an older fencing token (the case was re-planned or stopped since) are
        no-ops. Returns the result and the due time of each fired case.
        """
        for snapshot_id in {row.snapshot_id for row in rows}:
            await ensure_registered(session=session, planner=self.planner, snapshot_id=snapshot_id)
        advances: list[service.Advance] = []
        pending: dict[str, tuple[OutboxRow, datetime, str]] = {}
        tasks: dict[str, FiredTask] = {}
        now_iso = now.isoformat()
        for row in rows:
            timeline = self.planner.timeline(
                row.snapshot_id,
                service.anchors_of(row),
                paused=row.state == CaseState.PAUSED,
                listed=row.listed,
                halted=frozenset(row.halted),
                memo=False,
            )
            cursor = row.cursor
            occurrence = timeline[cursor] if cursor < len(timeline) else None
            if occurrence is None or occurrence.due_at > now:
                # The plan moved (e.g. a year's official calendar replaced an estimate).
                await self._repair(session, row, next_fire_at(timeline, cursor))
                continue
            step = self.planner.steps(row.snapshot_id)[occurrence.step_index]
            event_id = step_event_id(row.id, row.fence, cursor)
            fallback = bool(step.fallback_targets) and unsupervised(row.facts)
            task_id = None
            if step.task is not None:
                task_id = task_id_for(event_id)
                tasks[row.id] = FiredTask(
                    task_id,
                    row.id,
                    row.hazard_id,
                    step,
                    occurrence.repeat_index,
                    occurrence.due_at,
                    row.facts,
                )
            value = step_fired_json(
                event_id,
                row,
                occurrence,
                self._fragment(row.snapshot_id, step, fallback),
                now_iso,
                task_id,
            )
            pending[row.id] = (
                OutboxRow(event_id, ESCALATION_EVENTS, row.hazard_id, value),
                occurrence.due_at,
                step.action.value,
            )
            advances.append(
                service.Advance(
                    case_id=row.id,
                    fence=row.fence,
                    cursor=cursor,
                    new_cursor=cursor + 1,
                    next_fire_at=next_fire_at(timeline, cursor + 1),
                )
            )
        done = await service.advance(session=session, advances=advances, now=now)
        self._maybe_crash("after_case_update")
        events = [pending[case_id][0] for case_id in done]
        await add_serialized_events(session, outbox_tables.outbox, events, now=now)
        await create_tasks(session, [tasks[c] for c in done if c in tasks], now=now)
        self._maybe_crash("after_outbox_insert")
        stale = len(advances) - len(done)
        if stale:
            metrics.STALE_STEPS.inc(stale)
        for action, count in collections.Counter(pending[c][2] for c in done).items():
            metrics.STEPS_FIRED.labels(action).inc(count)
        result = BatchResult(claimed=len(rows), fired=len(done), stale=stale)
        return result, {case_id: pending[case_id][1] for case_id in done}

    async def _repair(
        self, session: AsyncSession, row: service.Claim, when: datetime | None
    ) -> None:
        metrics.REPAIRED_TIMERS.inc()
        log.warning("case %s: next fire time %s re-armed to %s", row.id, row.next_fire_at, when)
        await session.execute(
            update(CaseTimer)
            .where(CaseTimer.case_id == row.id, CaseTimer.fence == row.fence)
            .values(due_at=when)
            .execution_options(synchronize_session=False)
        )

    def _fragment(self, snapshot_id: int, step: Step, fallback: bool = False) -> str:
        key = (snapshot_id, step.key, fallback)
        fragment = self._fragments.get(key)
        if fragment is None:
            fragment = self._fragments[key] = step_fragment(step, fallback=fallback)
        return fragment

    def _maybe_crash(self, point: str) -> None:
        if self.crash_point == point:
            log.warning("test crash point %s reached: killing this process", point)
            os.kill(os.getpid(), signal.SIGKILL)
