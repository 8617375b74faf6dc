"""Open escalation cases for bench/timers.py, written straight into `cases` and `case_timers`
with COPY (a million through the API would take hours)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.escalation.cases.timeline import Anchors, Planner
from shared.contract import HazardFacts, HazardLevel, HazardStatus

DUE = 10_000
COPY_CHUNK = 100_000

COLUMNS = (
    "id",
    "hazard_id",
    "snapshot_id",
    "policy_id",
    "policy_version",
    "state",
    "cursor",
    "fence",
    "next_fire_at",
    "deadline_at",
    "classified_at",
    "listed",
    "halted",
    "facts",
    "fired_count",
    "started_at",
    "updated_at",
)
# The timer's columns go to `case_timers` (its name for them on the right), the rest to `cases`.
TIMER_COLUMNS = {
    "id": "case_id",
    "fence": "fence",
    "cursor": "cursor",
    "next_fire_at": "due_at",
    "fired_count": "fired_count",
}
CASE_INDEXES = [i for i, c in enumerate(COLUMNS) if c == "id" or c not in TIMER_COLUMNS]
TIMER_INDEXES = [COLUMNS.index(c) for c in TIMER_COLUMNS]


def facts_template() -> str:
    facts = HazardFacts(
        hazard_id="HAZARD_ID",
        status=HazardStatus.RECTIFYING,
        level=HazardLevel.GENERAL,
        unit_id="ent-1",
        unit_name="城关镇某某机械厂",
        area_code="330226",
        industry_code="C34",
        description="车间配电箱未接地",
    )
    return facts.model_dump_json()


class Loader:
    """Builds case rows consistent with the general policy's timeline."""

    def __init__(self, planner: Planner, snapshot_id: int, now: datetime) -> None:
        self.planner = planner
        self.snapshot_id = snapshot_id
        self.now = now
        self.template = facts_template()
        self.classified = now - timedelta(days=30)
        steps = planner.steps(snapshot_id)
        self.overdue_index = next(i for i, s in enumerate(steps) if s.key == "overdue_notice")

    def cursor_of_overdue(self, deadline: datetime) -> int:
        timeline = self.planner.timeline(
            self.snapshot_id, Anchors(deadline, self.classified), paused=False, listed=False
        )
        return next(i for i, o in enumerate(timeline) if o.step_index == self.overdue_index)

    def row(
        self, hazard_id: str, cursor: int, next_fire_at: datetime, deadline: datetime
    ) -> tuple[Any, ...]:
        return (
            str(uuid.uuid4()),
            hazard_id,
            self.snapshot_id,
            "county-general",
            1,
            "active",
            cursor,
            1,
            next_fire_at,
            deadline,
            self.classified,
            False,
            "[]",
            self.template.replace("HAZARD_ID", hazard_id),
            0,
            self.now,
            self.now,
        )

    def due_rows(self, tag: str) -> list[tuple[Any, ...]]:
        """DUE cases whose overdue notice (at the deadline) fell due in the last minute."""
        rows = []
        for i in range(DUE):
            deadline = self.now - timedelta(seconds=60) + timedelta(microseconds=i * 50)
            rows.append(
                self.row(f"{tag}-{i}", self.cursor_of_overdue(deadline), deadline, deadline)
            )
        return rows

    def idle_rows(self, tag: str, n: int) -> list[tuple[Any, ...]]:
        """Cases whose next step lies days or weeks ahead (a county's steady state)."""
        plans = []
        for day in range(200):
            deadline = (self.now + timedelta(days=20 + day)).replace(
                hour=15, minute=59, second=59, microsecond=999999
            )
            timeline = self.planner.timeline(
                self.snapshot_id, Anchors(deadline, self.classified), paused=False, listed=False
            )
            plans.append((deadline, timeline[0].due_at))
        return [self.row(f"{tag}-{i}", 0, plans[i % 200][1], plans[i % 200][0]) for i in range(n)]


async def copy_rows(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    for start in range(0, len(rows), COPY_CHUNK):
        chunk = rows[start : start + COPY_CHUNK]
        await conn.copy_records_to_table(
            "cases",
            records=[tuple(r[i] for i in CASE_INDEXES) for r in chunk],
            columns=[COLUMNS[i] for i in CASE_INDEXES],
        )
        await conn.copy_records_to_table(
            "case_timers",
            records=[tuple(r[i] for i in TIMER_INDEXES) for r in chunk],
            columns=list(TIMER_COLUMNS.values()),
        )
