"""The auditor: every armed case has the next fire time its plan says, and none is long overdue.

Each run checks the long-overdue steps (one indexed query) and the next `batch_size` cases
in id order, wrapping around, so a million cases are covered over successive runs without a
full scan each time. Anomalies are logged, counted and emitted once per case, kind and plan.

A finding's `detail` is read by people (it reaches the hazard's timeline), so it says in
Chinese what is late and what the system does about it. When the clock moved on by more than
the threshold between two runs (runs are `interval_seconds` apart, far less than it), steps
that fell due inside that jump are late because of the jump, not a fault: `clock_moved`, worded
as a moved demo clock on a demo's offset clock. Still unfired a threshold after the jump, they
are `overdue_step` like any other.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.escalation.cases import service
from services.escalation.cases.models import Case, CaseState, CaseTimer
from services.escalation.cases.timeline import Planner, next_fire_at
from services.escalation.db import outbox_tables
from services.escalation.policy.service import ensure_registered
from services.escalation.timers import metrics
from shared.clock import Clock, OffsetClock
from shared.contract import ESCALATION_EVENTS, AuditorAnomaly, Envelope, Producer
from shared.db import make_sessionmaker
from shared.labels import beijing_time
from shared.loops import start_loop, stop_loop
from shared.outbox import add_events

log = logging.getLogger(__name__)

ANOMALY_NAMESPACE = uuid.UUID("0b6c1e4a-2f7d-5a90-8e3b-5d4c6f7a8b9c")


@dataclass(frozen=True)
class Anomaly:
    case_id: str
    hazard_id: str
    kind: str  # overdue_step / clock_moved / next_fire_mismatch / stopped_but_armed
    detail: str
    fence: int

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.uuid5(ANOMALY_NAMESPACE, f"{self.case_id}/{self.kind}/{self.fence}")


class Auditor:
    def __init__(
        self,
        engine: AsyncEngine,
        planner: Planner,
        clock: Clock,
        *,
        interval_seconds: float = 60.0,
        batch_size: int = 5_000,
        overdue_seconds: float = 300.0,
        demo_clock: bool | None = None,
    ) -> None:
        self.sessionmaker = make_sessionmaker(engine)
        self.planner = planner
        self.clock = clock
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size
        self.overdue = timedelta(seconds=overdue_seconds)
        # A demo moves its clock through the offset file (DUBAN_CLOCK_OFFSET_FILE).
        self.demo_clock = isinstance(clock, OffsetClock) if demo_clock is None else demo_clock
        self._after_id = ""
        self._previous_run: datetime | None = None
        self._jump: tuple[datetime, datetime] | None = None  # the clock's last leap: from, to
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = start_loop(self._run(), name="escalation-auditor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_loop(task)

    async def _run(self) -> None:
        while True:
            await self.clock.sleep(self.interval_seconds)
            try:
                await self.audit()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("auditor: run failed")

    async def audit(self) -> list[Anomaly]:
        """One run: returns the anomalies found (new and already reported)."""
        now = self.clock.now()
        previous = self._previous_run
        if previous is not None and now - previous > self.overdue:
            self._jump = (previous, now)
        async with self.sessionmaker() as session, session.begin():
            found = await self._overdue(session, now)
            found += await self._check_batch(session)
            await self._report(session, found, now)
        self._previous_run = now
        return found

    async def _overdue(self, session: AsyncSession, now: datetime) -> list[Anomaly]:
        rows = (
            await session.execute(
                select(Case.id, Case.hazard_id, CaseTimer.fence, CaseTimer.due_at)
                .join_from(CaseTimer, Case, Case.id == CaseTimer.case_id)
                .where(CaseTimer.due_at < now - self.overdue)
                .order_by(CaseTimer.due_at)
                .limit(1000)
            )
        ).all()
        return [self._late(r.id, r.hazard_id, r.due_at, r.fence, now) for r in rows]

    def _late(
        self, case_id: str, hazard_id: str, due_at: datetime, fence: int, now: datetime
    ) -> Anomaly:
        due = beijing_time(due_at)
        jump = self._jump
        if jump is not None and due_at >= jump[0] and now - jump[1] <= self.overdue:
            if self.demo_clock:
                detail = (
                    f"演示时钟被调快，原定于{due}的督办步骤在时钟调整后才到期，系统随即补发"
                    "（演示操作所致，并非故障）"
                )
            else:
                detail = (
                    f"系统时间向前跳变或督办服务曾暂停，原定于{due}的督办步骤延后发出，系统随即补发"
                )
            return Anomaly(case_id, hazard_id, "clock_moved", detail, fence)
        detail = (
            f"原定于{due}发出的督办步骤至{beijing_time(now)}仍未发出，"
            "请检查督办服务的定时任务是否运行"
        )
        return Anomaly(case_id, hazard_id, "overdue_step", detail, fence)

    async def _check_batch(self, session: AsyncSession) -> list[Anomaly]:
        rows = service.claims_from_rows(
            (
                await session.execute(
                    service.claim_select()
                    .where(Case.id > self._after_id)
                    .order_by(Case.id)
                    .limit(self.batch_size)
                )
            ).all()
        )
        self._after_id = rows[-1].id if len(rows) == self.batch_size else ""
        found: list[Anomaly] = []
        for row in rows:
            if row.state == CaseState.STOPPED:
                if row.next_fire_at is not None:
                    found.append(
                        Anomaly(
                            row.id,
                            row.hazard_id,
                            "stopped_but_armed",
                            "督办已结束但仍留有定时，可能多发提醒，请检查督办服务",
                            row.fence,
                        )
                    )
                continue
            await ensure_registered(
                session=session, planner=self.planner, snapshot_id=row.snapshot_id
            )
            timeline = self.planner.timeline(
                row.snapshot_id,
                service.anchors_of(row),
                paused=row.state == CaseState.PAUSED,
                listed=row.listed,
                halted=frozenset(row.halted),
            )
            expected = next_fire_at(timeline, row.cursor)
            if expected != row.next_fire_at:
                found.append(
                    Anomaly(
                        row.id,
                        row.hazard_id,
                        "next_fire_mismatch",
                        f"督办定时为{beijing_time(row.next_fire_at, '无')}，"
                        f"按督办计划应为{beijing_time(expected, '无')}，请检查督办服务",
                        row.fence,
                    )
                )
        return found

    async def _report(self, session: AsyncSession, found: list[Anomaly], now: datetime) -> None:
        if not found:
            return
        o = outbox_tables.outbox
        ids = [str(a.event_id) for a in found]
        known = set(
            (await session.scalars(select(o.c.event_id).where(o.c.event_id.in_(ids)))).all()
        )
        fresh: dict[str, Anomaly] = {}
        for anomaly in found:
            if str(anomaly.event_id) not in known:
                fresh.setdefault(str(anomaly.event_id), anomaly)
        for anomaly in fresh.values():
            log.warning(
                "auditor: case %s (%s): %s: %s",
                anomaly.case_id,
                anomaly.hazard_id,
                anomaly.kind,
                anomaly.detail,
            )
            metrics.AUDITOR_ANOMALIES.labels(anomaly.kind).inc()
        events = [
            (
                Envelope.of(
                    AuditorAnomaly(
                        case_id=a.case_id, hazard_id=a.hazard_id, kind=a.kind, detail=a.detail
                    ),
                    aggregate_id=a.hazard_id,
                    producer=Producer.ESCALATION,
                    occurred_at=now,
                    event_id=a.event_id,
                ),
                ESCALATION_EVENTS,
            )
            for a in fresh.values()
        ]
        await add_events(session, o, events, now=now)
