"""Reads the whole directory into a `Snapshot` and writes an import's `Plan` in bulk: only what
differs, each changed entity with its org event (outbox) and audit row, in the caller's
transaction. Multi-row statements throughout: a county of tens of thousands of rows is written
in a few dozen round trips, not one per row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.audit.records import actor_of, chain_key
from services.hazard_api.audit.service import Actor, ChainHead, new_row_values
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.intake import (
    KIND_ORDER,
    PersonRow,
    Plan,
    PostRow,
    Snapshot,
    UnitRow,
)
from services.hazard_api.directory.models import (
    Person,
    PortfolioIndustry,
    PortfolioUnit,
    Post,
    SupervisingDepartment,
    Unit,
)
from shared.contract import (
    EVENT_TYPES_BY_MODEL,
    ORG_EVENTS,
    EnterpriseStatus,
    Envelope,
    PersonUpserted,
    PostRole,
    PostUpserted,
    Producer,
    UnitKind,
    UnitUpserted,
)
from shared.outbox import OutboxRow, add_serialized_events

_CHUNK = 500  # ids per IN (…) list: well inside SQLite's and asyncpg's parameter limits
_IMPORT_LOCK = 0x6475_6261_6E01  # pg_advisory_xact_lock key: one directory import at a time


# ----------------------------------------------------------------------------- reading
async def load_snapshot(session: AsyncSession) -> Snapshot:
    snapshot = Snapshot()
    departments: dict[str, list[str]] = {}
    for enterprise_id, department_id in await session.execute(
        select(SupervisingDepartment.enterprise_id, SupervisingDepartment.department_id)
    ):
        departments.setdefault(enterprise_id, []).append(department_id)
    for r in await session.execute(select(Unit.__table__)):
        snapshot.units[r.id] = UnitRow(
            r.id,
            r.kind,
            r.name,
            r.area_code,
            r.parent_id,
            bool(r.is_safety_office),
            r.credit_code,
            r.industry_code,
            r.industry_name,
            r.territorial_unit_id,
            bool(r.high_risk),
            r.status,
            tuple(sorted(departments.get(r.id, ()))),
        )
        snapshot.townships[r.id] = r.township_id
    for r in await session.execute(select(Person.__table__)):
        snapshot.people[r.id] = PersonRow(r.id, r.unit_id, r.name, r.mobile, r.email, r.active)
    units: dict[str, list[str]] = {}
    industries: dict[str, list[str]] = {}
    for post_id, unit_id in await session.execute(
        select(PortfolioUnit.post_id, PortfolioUnit.unit_id)
    ):
        units.setdefault(post_id, []).append(unit_id)
    for post_id, code in await session.execute(
        select(PortfolioIndustry.post_id, PortfolioIndustry.industry_code)
    ):
        industries.setdefault(post_id, []).append(code)
    for r in await session.execute(select(Post.__table__)):
        snapshot.posts[r.id] = PostRow(
            r.id,
            r.unit_id,
            r.role,
            r.title,
            r.holder_person_id,
            bool(r.acting),
            tuple(sorted(units.get(r.id, ()))),
            tuple(sorted(industries.get(r.id, ()))),
        )
    return snapshot


async def lock_directory(session: AsyncSession) -> None:
    """Two imports at once would each diff against a directory the other is changing."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_IMPORT_LOCK})"))


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


# ----------------------------------------------------------------------------- payloads
def unit_payload(u: UnitRow) -> UnitUpserted:
    return UnitUpserted(
        unit_id=u.id,
        kind=UnitKind(u.kind),
        name=u.name,
        area_code=u.area_code,
        parent_id=u.parent_id,
        is_safety_office=u.is_safety_office,
        credit_code=u.credit_code,
        industry_code=u.industry_code,
        industry_name=u.industry_name,
        territorial_unit_id=u.territorial_unit_id,
        supervising_department_ids=list(u.departments),
        high_risk=u.high_risk,
        status=EnterpriseStatus(u.status) if u.status else None,
    )


def person_payload(p: PersonRow) -> PersonUpserted:
    return PersonUpserted(
        person_id=p.id, name=p.name, mobile=p.mobile, email=p.email, active=p.active
    )


def post_payload(p: PostRow) -> PostUpserted:
    return PostUpserted(
        post_id=p.id,
        unit_id=p.unit_id,
        role=PostRole(p.role),
        title=p.title,
        holder_person_id=p.holder_person_id,
        acting=p.acting,
        portfolio_unit_ids=list(p.portfolio_units),
        portfolio_industry_codes=list(p.portfolio_industries),
    )


# The audit's before/after states: the same shapes the directory's own writes record.
def _unit_state(u: UnitRow) -> dict[str, Any]:
    return unit_payload(u).model_dump(mode="json", exclude={"unit_id"})


def _person_state(p: PersonRow) -> dict[str, Any]:
    return person_payload(p).model_dump(mode="json", exclude={"person_id"}) | {"unit_id": p.unit_id}


def _post_state(p: PostRow) -> dict[str, Any]:
    return post_payload(p).model_dump(mode="json", exclude={"post_id"})


class _Journal:
    """Collects the events and audit rows of one import, written at the end in bulk."""

    def __init__(self, actor: Actor, now: datetime) -> None:
        self.actor = actor
        self.now = now
        self.events: list[OutboxRow] = []
        self.audits: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any]]] = []

    def event(self, payload: BaseModel, aggregate_id: str) -> None:
        event_type, version = EVENT_TYPES_BY_MODEL[type(payload)]
        envelope = Envelope(
            event_id=uuid.uuid4(),
            type=event_type,
            version=version,
            occurred_at=self.now,
            aggregate_id=aggregate_id,
            producer=str(Producer.HAZARD_API),
            payload=payload.model_dump(mode="json"),
        )
        self.events.append(
            OutboxRow(str(envelope.event_id), ORG_EVENTS, aggregate_id, envelope.model_dump_json())
        )

    def audit(
        self,
        entity: str,
        entity_id: str,
        created: bool,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> None:
        action = f"directory.{entity}_{'created' if created else 'updated'}"
        self.audits.append((action, entity, entity_id, before, after))

    async def write(self, session: AsyncSession) -> None:
        await add_serialized_events(session, outbox_tables.outbox, self.events, now=self.now)
        heads = await _heads(session, [chain_key(e, i) for _, e, i, _, _ in self.audits])
        rows = [
            new_row_values(
                chain_key=chain_key(entity, entity_id),
                head=heads.get(chain_key(entity, entity_id)),
                at=self.now,
                actor=self.actor,
                action=action,
                entity_type=entity,
                entity_id=entity_id,
                before=before,
                after=after,
            )
            for action, entity, entity_id, before, after in self.audits
        ]
        if rows:
            await session.execute(insert(AuditRow), rows)


async def _heads(session: AsyncSession, keys: list[str]) -> dict[str, ChainHead]:
    heads: dict[str, ChainHead] = {}
    for chunk in _chunks(keys):
        rows = await session.execute(
            select(AuditRow.chain_key, AuditRow.seq, AuditRow.hash).where(
                AuditRow.chain_key.in_(chunk)
            )
        )
        for key, seq, digest in rows:
            if key not in heads or heads[key].seq < seq:
                heads[key] = ChainHead(seq, digest)
    return heads


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


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
    journal = _Journal(actor_of(user), now)
    new_units, changed_units, changes.unchanged.units = _split(plan.units, current.units)
    new_people, changed_people, changes.unchanged.people = _split(plan.people, current.people)
    new_posts, changed_posts, changes.unchanged.posts = _split(plan.posts, current.posts)
    changes.created = Counts(len(new_units), len(new_people), len(new_posts))
    changes.updated = Counts(len(changed_units), len(changed_people), len(changed_posts))
    for rows, created in ((new_units, True), (changed_units, False)):
        for unit in rows:
            journal.event(unit_payload(unit), unit.id)
            before = None if created else _unit_state(current.units[unit.id])
            journal.audit("unit", unit.id, created, before, _unit_state(unit))
    for rows, created in ((new_people, True), (changed_people, False)):
        for person in rows:
            journal.event(person_payload(person), person.id)
            before = None if created else _person_state(current.people[person.id])
            journal.audit("person", person.id, created, before, _person_state(person))
    for rows, created in ((new_posts, True), (changed_posts, False)):
        for post in rows:
            journal.event(post_payload(post), post.id)
            before = None if created else _post_state(current.posts[post.id])
            journal.audit("post", post.id, created, before, _post_state(post))
    changes.events = len(journal.events)
    if dry_run:
        return changes
    await _write_units(session, new_units, changed_units, plan, current, now)
    await _write_people(session, new_people, changed_people, now)
    await _write_posts(session, new_posts, changed_posts, current, now)
    await journal.write(session)
    return changes


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _unit_values(u: UnitRow, township_id: str | None) -> dict[str, Any]:
    values = u._asdict()
    del values["departments"]
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
    if new:
        await session.execute(
            insert(table),
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


async def _replace_links(
    session: AsyncSession,
    table: Any,
    owner: str,
    target: str,
    owners_to_clear: list[str],
    pairs: list[tuple[str, str]],
) -> None:
    for chunk in _chunks(owners_to_clear):
        await session.execute(delete(table).where(table.c[owner].in_(chunk)))
    if pairs:
        await session.execute(insert(table), [{owner: o, target: t} for o, t in pairs])


async def _write_people(
    session: AsyncSession, new: list[PersonRow], changed: list[PersonRow], now: datetime
) -> None:
    table = _table(Person)
    if new:
        await session.execute(
            insert(table), [p._asdict() | {"created_at": now, "updated_at": now} for p in new]
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
    fields = ("id", "unit_id", "role", "title", "holder_person_id", "acting")
    if new:
        await session.execute(
            insert(table),
            [
                {k: getattr(p, k) for k in fields} | {"created_at": now, "updated_at": now}
                for p in new
            ],
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
