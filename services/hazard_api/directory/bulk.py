"""Writes an import's `Plan` in bulk: only what differs from the `Snapshot`, each changed
entity with its org event (outbox) and audit row, in the caller's transaction. Multi-row
statements throughout: a county of tens of thousands of rows is written in a few dozen round
trips, not one per row."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, bindparam, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.records import actor_of
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.copying import insert_rows
from services.hazard_api.directory.journal import Entries, Journal, chain_heads, chunks
from services.hazard_api.directory.models import (
    Person,
    PortfolioIndustry,
    PortfolioUnit,
    Post,
    RegulatedIndustry,
    SupervisingDepartment,
    Unit,
)
from services.hazard_api.directory.rows import (
    KIND_ORDER,
    PersonRow,
    Plan,
    PostRow,
    Snapshot,
    UnitRow,
)
from services.hazard_api.directory.staff import POST_FIELDS
from shared.contract import UnitKind


# ----------------------------------------------------------------------------- the diff
@dataclass
class Counts:
    units: int = 0
    people: int = 0
    posts: int = 0


@dataclass
class Changes:
    created: Counts = field(default_factory=Counts)
    updated: Counts = field(default_factory=Counts)
    unchanged: Counts = field(default_factory=Counts)
    events: int = 0


def _split(wanted: dict[str, Any], current: dict[str, Any]) -> tuple[list[Any], list[Any], int]:
    new, changed, same = [], [], 0
    for key, row in wanted.items():
        before = current.get(key)
        if before is None:
            new.append(row)
        elif before != row:
            changed.append(row)
        else:
            same += 1
    return new, changed, same


# ----------------------------------------------------------------------------- writing
async def apply_plan(
    session: AsyncSession,
    plan: Plan,
    current: Snapshot,
    *,
    user: AuthUser | None,
    now: datetime,
    dry_run: bool = False,
) -> Changes:
    """Writes what differs from `current` (nothing when `dry_run`); counts what it did."""
    changes = Changes()
    journal = Journal(actor_of(user), now)
    new_units, changed_units, changes.unchanged.units = _split(plan.units, current.units)
    new_people, changed_people, changes.unchanged.people = _split(plan.people, current.people)
    new_posts, changed_posts, changes.unchanged.posts = _split(plan.posts, current.posts)
    changes.created = Counts(len(new_units), len(new_people), len(new_posts))
    changes.updated = Counts(len(changed_units), len(changed_people), len(changed_posts))
    changes.events = sum(len(rows) for rows in (new_units, changed_units, new_people))
    changes.events += sum(len(rows) for rows in (changed_people, new_posts, changed_posts))
    if dry_run:
        return changes
    # The events and audit rows are built (CPU) in a thread while the tables are written
    # (mostly waiting on the database); an audit chain's head is read before either.
    heads = await chain_heads(
        session,
        [f"unit:{u.id}" for u in changed_units]
        + [f"person:{p.id}" for p in changed_people]
        + [f"post:{p.id}" for p in (*new_posts, *changed_posts)],
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    # Copies: the writers below sort their lists in place while the thread reads these.
    entries = Entries(
        list(new_units),
        list(changed_units),
        list(new_people),
        list(changed_people),
        list(new_posts),
        list(changed_posts),
    )
    prepared = asyncio.create_task(
        asyncio.to_thread(journal.prepare, entries, current, heads, postgres=postgres)
    )
    try:
        await _write_units(session, new_units, changed_units, plan, current, now)
        await _write_people(session, new_people, changed_people, now)
        await _write_posts(session, new_posts, changed_posts, current, now)
    except BaseException:
        prepared.cancel()
        raise
    await journal.write(session, await prepared)
    return changes


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _unit_values(u: UnitRow, township_id: str | None) -> dict[str, Any]:
    values = u._asdict()
    del values["departments"], values["industries"]
    values["township_id"] = township_id
    return values


# A post's stored columns: its id and unit, then those a change may set.
_POST_FIELDS = ("id", "unit_id", *POST_FIELDS)


async def _update_by_id(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """One multi-row UPDATE … WHERE id = …; every row names its id and the same columns (bound
    under a prefix: SQLAlchemy refuses parameters named like the columns they set)."""
    if not rows:
        return
    columns = [k for k in rows[0] if k != "id"]
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("v_id"))
        .values({k: bindparam(f"v_{k}") for k in columns}),
        [{f"v_{k}": v for k, v in row.items()} for row in rows],
    )


async def _upsert(
    session: AsyncSession,
    table: Table,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    now: datetime,
) -> None:
    """New rows inserted (COPY on PostgreSQL), changed ones updated, both stamped `now`."""
    await insert_rows(session, table, [row | {"created_at": now, "updated_at": now} for row in new])
    await _update_by_id(session, table, [row | {"updated_at": now} for row in changed])


async def _relink(
    session: AsyncSession,
    table: Any,
    columns: tuple[str, str],
    rows: Sequence[Any],
    current: Mapping[str, Any],
    targets: Callable[[Any], Sequence[str]],
) -> None:
    """The link rows (`columns`: owner, target) of each row in `rows` whose `targets` differ
    from its stored state's: an existing owner's links are deleted, then all of them inserted."""
    touched = [r for r in rows if r.id not in current or targets(current[r.id]) != targets(r)]
    owner, target = columns
    for chunk in chunks([r.id for r in touched if r.id in current]):
        await session.execute(delete(table).where(table.c[owner].in_(chunk)))
    await insert_rows(
        session, table, [{owner: r.id, target: t} for r in touched for t in targets(r)]
    )


async def _write_units(
    session: AsyncSession,
    new: list[UnitRow],
    changed: list[UnitRow],
    plan: Plan,
    current: Snapshot,
    now: datetime,
) -> None:
    table = _table(Unit)
    new.sort(key=lambda u: KIND_ORDER[UnitKind(u.kind)])  # parents before children (FKs)
    await _upsert(
        session,
        table,
        [_unit_values(u, plan.townships[u.id]) for u in new],
        [_unit_values(u, plan.townships[u.id]) for u in changed],
        now,
    )
    # Units the file did not name whose township moved with an ancestor.
    moved = [
        {"id": uid, "township_id": township}
        for uid, township in plan.townships.items()
        if uid in current.townships and uid not in plan.units and current.townships[uid] != township
    ]
    await _update_by_id(session, table, moved)
    written = (*new, *changed)
    await _relink(
        session,
        SupervisingDepartment.__table__,
        ("enterprise_id", "department_id"),
        written,
        current.units,
        attrgetter("departments"),
    )
    await _relink(
        session,
        RegulatedIndustry.__table__,
        ("department_id", "industry_code"),
        written,
        current.units,
        attrgetter("industries"),
    )


async def _write_people(
    session: AsyncSession, new: list[PersonRow], changed: list[PersonRow], now: datetime
) -> None:
    await _upsert(
        session, _table(Person), [p._asdict() for p in new], [p._asdict() for p in changed], now
    )


async def _write_posts(
    session: AsyncSession,
    new: list[PostRow],
    changed: list[PostRow],
    current: Snapshot,
    now: datetime,
) -> None:
    values = attrgetter(*_POST_FIELDS)
    await _upsert(
        session,
        _table(Post),
        [dict(zip(_POST_FIELDS, values(p), strict=True)) for p in new],
        [dict(zip(_POST_FIELDS, values(p), strict=True)) for p in changed],
        now,
    )
    written = (*new, *changed)
    await _relink(
        session,
        PortfolioUnit.__table__,
        ("post_id", "unit_id"),
        written,
        current.posts,
        attrgetter("portfolio_units"),
    )
    await _relink(
        session,
        PortfolioIndustry.__table__,
        ("post_id", "industry_code"),
        written,
        current.posts,
        attrgetter("portfolio_industries"),
    )
