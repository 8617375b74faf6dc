"""Writes an import's `Plan` in bulk: only what differs from the `Snapshot`, each changed
entity with its org event (outbox) and audit row, in the caller's transaction. Multi-row
statements throughout: a county of tens of thousands of rows is written in a few dozen round
trips, not one per row."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
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


async def _write_units(
    session: AsyncSession,
    new: list[UnitRow],
    changed: list[UnitRow],
    plan: Plan,
    current: Snapshot,
    now: datetime,
) -> None:
    table = _table(Unit)
    new.sort(key=lambda u: KIND_ORDER[UnitKind(u.kind)])
    await insert_rows(
        session,
        table,
        [
            _unit_values(u, plan.townships[u.id]) | {"created_at": now, "updated_at": now}
            for u in new
        ],
    )
    if changed:
        rows = [
            {f"v_{k}": v for k, v in _unit_values(u, plan.townships[u.id]).items()}
            | {"v_updated_at": now}
            for u in changed
        ]
        columns = [k for k in rows[0] if k != "v_id"]
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("v_id"))
            .values({k[2:]: bindparam(k) for k in columns}),
            rows,
        )
    # Units the file did not name whose township moved with an ancestor.
    moved = [
        {"v_id": uid, "v_township_id": township}
        for uid, township in plan.townships.items()
        if uid in current.townships and uid not in plan.units and current.townships[uid] != township
    ]
    if moved:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("v_id"))
            .values(township_id=bindparam("v_township_id")),
            moved,
        )
    touched = [
        u
        for u in (*new, *changed)
        if u.id not in current.units or current.units[u.id].departments != u.departments
    ]
    await _replace_links(
        session,
        SupervisingDepartment.__table__,
        "enterprise_id",
        "department_id",
        [u.id for u in touched if u.id in current.units],
        [(u.id, d) for u in touched for d in u.departments],
    )
    regulating = [
        u
        for u in (*new, *changed)
        if u.id not in current.units or current.units[u.id].industries != u.industries
    ]
    await _replace_links(
        session,
        RegulatedIndustry.__table__,
        "department_id",
        "industry_code",
        [u.id for u in regulating if u.id in current.units],
        [(u.id, c) for u in regulating for c in u.industries],
    )


async def _replace_links(
    session: AsyncSession,
    table: Any,
    owner: str,
    target: str,
    owners_to_clear: list[str],
    pairs: list[tuple[str, str]],
) -> None:
    for chunk in chunks(owners_to_clear):
        await session.execute(delete(table).where(table.c[owner].in_(chunk)))
    await insert_rows(session, table, [{owner: o, target: t} for o, t in pairs])


async def _write_people(
    session: AsyncSession, new: list[PersonRow], changed: list[PersonRow], now: datetime
) -> None:
    table = _table(Person)
    await insert_rows(
        session, table, [p._asdict() | {"created_at": now, "updated_at": now} for p in new]
    )
    if changed:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("v_id"))
            .values({k: bindparam(f"v_{k}") for k in (*PersonRow._fields[1:], "updated_at")}),
            [
                {f"v_{k}": v for k, v in p._asdict().items()} | {"v_updated_at": now}
                for p in changed
            ],
        )


async def _write_posts(
    session: AsyncSession,
    new: list[PostRow],
    changed: list[PostRow],
    current: Snapshot,
    now: datetime,
) -> None:
    table = _table(Post)
    fields = (
        "id",
        "unit_id",
        "role",
        "title",
        "holder_person_id",
        "acting",
        "acting_person_id",
        "acting_from",
        "acting_until",
        "holder_from",
        "previous_holder_person_id",
    )
    await insert_rows(
        session,
        table,
        [{k: getattr(p, k) for k in fields} | {"created_at": now, "updated_at": now} for p in new],
    )
    if changed:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("v_id"))
            .values({k: bindparam(f"v_{k}") for k in (*fields[1:], "updated_at")}),
            [{f"v_{k}": getattr(p, k) for k in fields} | {"v_updated_at": now} for p in changed],
        )
    units_touched = [
        p
        for p in (*new, *changed)
        if p.id not in current.posts or current.posts[p.id].portfolio_units != p.portfolio_units
    ]
    await _replace_links(
        session,
        PortfolioUnit.__table__,
        "post_id",
        "unit_id",
        [p.id for p in units_touched if p.id in current.posts],
        [(p.id, u) for p in units_touched for u in p.portfolio_units],
    )
    industries_touched = [
        p
        for p in (*new, *changed)
        if p.id not in current.posts
        or current.posts[p.id].portfolio_industries != p.portfolio_industries
    ]
    await _replace_links(
        session,
        PortfolioIndustry.__table__,
        "post_id",
        "industry_code",
        [p.id for p in industries_touched if p.id in current.posts],
        [(p.id, c) for p in industries_touched for c in p.portfolio_industries],
    )
