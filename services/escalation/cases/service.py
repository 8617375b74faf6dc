"""Case rows in the database (keyword-only `session`); no rules, no events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.models import Case, CaseState
from services.escalation.cases.timeline import Anchors

# A claimed row: the columns below, by attribute name.
ClaimRow: TypeAlias = Row[*tuple[Any, ...]]

CLAIM_COLUMNS = (
    Case.id,
    Case.hazard_id,
    Case.snapshot_id,
    Case.policy_id,
    Case.policy_version,
    Case.state,
    Case.cursor,
    Case.fence,
    Case.next_fire_at,
    Case.deadline_at,
    Case.classified_at,
    Case.rectification_reported_at,
    Case.acceptance_due_at,
    Case.listed,
    Case.halted,
    Case.facts,
)


def anchors_of(case: Case | ClaimRow) -> Anchors:
    return Anchors(
        deadline_at=case.deadline_at,
        classified_at=case.classified_at,
        rectification_reported_at=case.rectification_reported_at,
        acceptance_due_at=case.acceptance_due_at,
    )


async def get_case(
    *, session: AsyncSession, hazard_id: str, for_update: bool = False
) -> Case | None:
    query = select(Case).where(Case.hazard_id == hazard_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def get_case_by_id(
    *, session: AsyncSession, case_id: str, for_update: bool = False
) -> Case | None:
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def claim_due(*, session: AsyncSession, now: datetime, limit: int) -> Sequence[ClaimRow]:
    """Due cases, oldest first, locked for this transaction; rows another worker holds are
    skipped (PostgreSQL). SQLite has one writer at a time (BEGIN IMMEDIATE), so no locks."""
    query = (
        select(*CLAIM_COLUMNS)
        .where(Case.next_fire_at <= now)
        .order_by(Case.next_fire_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).all()


@dataclass(frozen=True, slots=True)
class Advance:
    """Move one case past the occurrence it fired, if it still has the plan we fired from."""

    case_id: str
    fence: int
    cursor: int
    new_cursor: int
    next_fire_at: datetime | None


_PG_ADVANCE = text(
    """
    UPDATE cases AS c
    SET cursor = v.new_cursor, next_fire_at = v.next_fire_at,
        fired_count = c.fired_count + 1, last_fired_at = :now, updated_at = :now
    FROM unnest(
        CAST(:ids AS VARCHAR[]), CAST(:fences AS INTEGER[]), CAST(:cursors AS INTEGER[]),
        CAST(:new_cursors AS INTEGER[]), CAST(:next_fire_ats AS TIMESTAMPTZ[])
    ) AS v(id, fence, cursor, new_cursor, next_fire_at)
    WHERE c.id = v.id AND c.fence = v.fence AND c.cursor = v.cursor
    RETURNING c.id
    """
)


async def advance(*, session: AsyncSession, advances: Sequence[Advance], now: datetime) -> set[str]:
    """Apply the advances whose fencing token and cursor still match; returns their ids.

    A case whose fence moved (re-planned, stopped) since it was read is left alone: the work
    computed from the old plan is void.
    """
    if not advances:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            _PG_ADVANCE,
            {
                "ids": [a.case_id for a in advances],
                "fences": [a.fence for a in advances],
                "cursors": [a.cursor for a in advances],
                "new_cursors": [a.new_cursor for a in advances],
                "next_fire_ats": [a.next_fire_at for a in advances],
                "now": now,
            },
        )
        return {row[0] for row in result}
    done: set[str] = set()
    statement = (
        update(Case)
        .where(
            Case.id == bindparam("b_id"),
            Case.fence == bindparam("b_fence"),
            Case.cursor == bindparam("b_cursor"),
            Case.state != CaseState.STOPPED.value,
        )
        .values(
            cursor=bindparam("b_new_cursor"),
            next_fire_at=bindparam("b_next_fire_at"),
            fired_count=Case.fired_count + 1,
            last_fired_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    for a in advances:
        result = await session.execute(
            statement,
            {
                "b_id": a.case_id,
                "b_fence": a.fence,
                "b_cursor": a.cursor,
                "b_new_cursor": a.new_cursor,
                "b_next_fire_at": a.next_fire_at,
            },
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            done.add(a.case_id)
    return done
