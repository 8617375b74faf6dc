"""Case rows in the database (keyword-only `session`); no rules, no events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.models import Case, CaseTimer
from services.escalation.cases.timeline import Anchors

CLAIM_COLUMNS = (
    Case.id,
    Case.hazard_id,
    Case.snapshot_id,
    Case.policy_id,
    Case.policy_version,
    Case.state,
    CaseTimer.cursor,
    CaseTimer.fence,
    CaseTimer.due_at.label("next_fire_at"),
    Case.deadline_at,
    Case.classified_at,
    Case.rectification_reported_at,
    Case.acceptance_due_at,
    Case.listed,
    Case.halted,
    Case.facts,
    Case.reported_at,
    Case.ordered_at,
    Case.listed_at,
    Case.extension_requested_at,
    Case.accepted_at,
    Case.upward_report_due_at,
    Case.supplement_ends_at,
    Case.investigation_due_at,
    Case.decision_due_at,
    Case.items_missing_at,
    Case.accident,
)


def anchors_of(case: Case | Claim) -> Anchors:
    # Once accepted, the acceptance clock has done its work; the delisting clock runs.
    accepted = case.accepted_at is not None
    return Anchors(
        deadline_at=case.deadline_at,
        classified_at=case.classified_at,
        rectification_reported_at=None if accepted else case.rectification_reported_at,
        acceptance_due_at=None if accepted else case.acceptance_due_at,
        reported_at=case.reported_at,
        ordered_at=case.ordered_at,
        listed_at=case.listed_at,
        extension_requested_at=case.extension_requested_at,
        accepted_at=case.accepted_at,
        upward_report_due_at=case.upward_report_due_at,
        supplement_ends_at=case.supplement_ends_at,
        investigation_due_at=case.investigation_due_at,
        decision_due_at=case.decision_due_at,
        items_missing_at=case.items_missing_at,
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


@dataclass(frozen=True, slots=True)
class Claim:
    """A due case as the scheduler read it (and, on PostgreSQL, locked it)."""

    id: str
    hazard_id: str
    snapshot_id: int
    policy_id: str
    policy_version: int
    state: str
    cursor: int
    fence: int
    next_fire_at: datetime | None
    deadline_at: datetime | None
    classified_at: datetime | None
    rectification_reported_at: datetime | None
    acceptance_due_at: datetime | None
    listed: bool
    halted: tuple[int, ...]
    facts: str
    reported_at: datetime | None
    ordered_at: datetime | None
    listed_at: datetime | None
    extension_requested_at: datetime | None
    accepted_at: datetime | None
    upward_report_due_at: datetime | None = None
    supplement_ends_at: datetime | None = None
    investigation_due_at: datetime | None = None
    decision_due_at: datetime | None = None
    items_missing_at: datetime | None = None
    accident: str | None = None


# The same query as the SQLAlchemy one below, straight to the driver, in two statements:
# lock the due timers, then read their cases. Firing does not write (nor lock) the wide case
# row; every change to a case locks its timer first (`get_case(for_update=True)`), so the
# second statement, with a snapshot taken once the timers are ours, sees each case as of its
# timer (a re-plan committed while the first statement ran included).
_PG_CLAIM_TIMERS = (
    "SELECT case_id, cursor, fence, due_at FROM case_timers "
    "WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED"
)
_PG_CLAIM_CASES = (
    "SELECT id, hazard_id, snapshot_id, policy_id, policy_version, state, deadline_at, "
    "classified_at, rectification_reported_at, acceptance_due_at, listed, halted, facts, "
    "reported_at, ordered_at, listed_at, extension_requested_at, accepted_at, "
    "upward_report_due_at, supplement_ends_at, investigation_due_at, decision_due_at, "
    "items_missing_at, accident "
    "FROM cases WHERE id = ANY($1::varchar[])"
)


def claim_select() -> Select[*tuple[Any, ...]]:
    """`CLAIM_COLUMNS` of every case (timer joined); callers add filters and order."""
    return select(*CLAIM_COLUMNS).join_from(CaseTimer, Case, Case.id == CaseTimer.case_id)


def _halted(value: object) -> tuple[int, ...]:
    if isinstance(value, str):  # a raw driver hands JSON back as text
        value = json.loads(value)
    assert isinstance(value, list)
    return tuple(int(v) for v in value)


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction (the hot path's fast lane).

    SQLAlchemy opens the database transaction with its first statement; a raw statement
    before that would run in autocommit, so this refuses to hand the connection out then.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is not None and not driver.is_in_transaction():
        await connection.exec_driver_sql("SELECT 1")  # SQLAlchemy's first statement begins
    if driver is None or not driver.is_in_transaction():
        raise RuntimeError("no open transaction on the driver connection")
    return driver


async def claim_due(*, session: AsyncSession, now: datetime, limit: int) -> list[Claim]:
    """Due cases, oldest first, their timers locked for this transaction; timers another
    worker holds are skipped (PostgreSQL). SQLite has one writer at a time (BEGIN IMMEDIATE),
    so no locks."""
    if session.get_bind().dialect.name == "postgresql":
        driver = await driver_connection(session)
        timers = await driver.fetch(_PG_CLAIM_TIMERS, now, limit)
        if not timers:
            return []
        cases = {r[0]: r for r in await driver.fetch(_PG_CLAIM_CASES, [t[0] for t in timers])}
        return [_claim(cases[t[0]], t) for t in timers]
    query = claim_select().where(CaseTimer.due_at <= now).order_by(CaseTimer.due_at).limit(limit)
    return claims_from_rows((await session.execute(query)).all())


def _claim(case: Any, timer: Any) -> Claim:
    """A claim from a `_PG_CLAIM_CASES` row and a `_PG_CLAIM_TIMERS` row."""
    return Claim(
        case[0], case[1], case[2], case[3], case[4], case[5],
        timer[1], timer[2], timer[3],
        case[6], case[7], case[8], case[9], case[10], _halted(case[11]), case[12],
        case[13], case[14], case[15], case[16], case[17],
        case[18], case[19], case[20], case[21], case[22], case[23],
    )  # fmt: skip


def claims_from_rows(rows: Sequence[Row[*tuple[Any, ...]]]) -> list[Claim]:
    return [Claim(**{**row._asdict(), "halted": _halted(row.halted)}) for row in rows]


@dataclass(frozen=True, slots=True)
class Advance:
    """Move one case past the occurrence it fired, if it still has the plan we fired from."""

    case_id: str
    fence: int
    cursor: int
    new_cursor: int
    next_fire_at: datetime | None


_PG_ADVANCE = """
    UPDATE case_timers AS t
    SET cursor = v.new_cursor, due_at = v.next_fire_at,
        fired_count = t.fired_count + 1, last_fired_at = $6
    FROM unnest($1::varchar[], $2::integer[], $3::integer[], $4::integer[], $5::timestamptz[])
        AS v(id, fence, cursor, new_cursor, next_fire_at)
    WHERE t.case_id = v.id AND t.fence = v.fence AND t.cursor = v.cursor
    RETURNING t.case_id
"""


async def advance(*, session: AsyncSession, advances: Sequence[Advance], now: datetime) -> set[str]:
    """Apply the advances whose fencing token and cursor still match; returns their ids.

    A case whose fence moved (re-planned, stopped) since it was read is left alone: the work
    computed from the old plan is void. Only the case's timer row is written.
    """
    if not advances:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        records = await (await driver_connection(session)).fetch(
            _PG_ADVANCE,
            [a.case_id for a in advances],
            [a.fence for a in advances],
            [a.cursor for a in advances],
            [a.new_cursor for a in advances],
            [a.next_fire_at for a in advances],
            now,
        )
        return {r[0] for r in records}
    done: set[str] = set()
    statement = (
        update(CaseTimer)
        .where(
            CaseTimer.case_id == bindparam("b_id"),
            CaseTimer.fence == bindparam("b_fence"),
            CaseTimer.cursor == bindparam("b_cursor"),
        )
        .values(
            cursor=bindparam("b_new_cursor"),
            due_at=bindparam("b_next_fire_at"),
            fired_count=CaseTimer.fired_count + 1,
            last_fired_at=now,
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
