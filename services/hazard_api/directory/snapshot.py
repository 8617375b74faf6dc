"""The whole stored directory read at once (a few queries) as rows an import compares."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.directory.models import (
    Person,
    PortfolioIndustry,
    PortfolioUnit,
    Post,
    RegulatedIndustry,
    SupervisingDepartment,
    Unit,
)
from services.hazard_api.directory.rows import PersonRow, PostRow, Snapshot, UnitRow

_IMPORT_LOCK = 0x6475_6261_6E01  # pg_advisory_xact_lock key: one directory import at a time


async def _grouped(session: AsyncSession, owner: object, value: object) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    pairs: Iterable[tuple[str, str]] = (
        tuple(r)
        for r in await session.execute(select(owner, value))  # type: ignore[call-overload]
    )
    for key, item in pairs:
        groups[key].append(item)
    return groups


def _select(model: object, names: Iterable[str]) -> Select[Any]:
    """Only the columns compared (not the timestamps, each converted on reading)."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    return select(*(table.c[n] for n in names))


_UNIT_COLUMNS = (*UnitRow._fields[:-2], "township_id")
_POST_COLUMNS = tuple(f for f in PostRow._fields if not f.startswith("portfolio_"))


async def load_snapshot(session: AsyncSession) -> Snapshot:
    snapshot = Snapshot()
    departments = await _grouped(
        session, SupervisingDepartment.enterprise_id, SupervisingDepartment.department_id
    )
    regulated = await _grouped(
        session, RegulatedIndustry.department_id, RegulatedIndustry.industry_code
    )
    for r in await session.execute(_select(Unit, _UNIT_COLUMNS)):
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
            tuple(sorted(regulated.get(r.id, ()))),
        )
        snapshot.townships[r.id] = r.township_id
    for r in await session.execute(_select(Person, PersonRow._fields)):
        snapshot.people[r.id] = PersonRow(r.id, r.unit_id, r.name, r.mobile, r.email, r.active)
    units = await _grouped(session, PortfolioUnit.post_id, PortfolioUnit.unit_id)
    industries = await _grouped(session, PortfolioIndustry.post_id, PortfolioIndustry.industry_code)
    for r in await session.execute(_select(Post, _POST_COLUMNS)):
        snapshot.posts[r.id] = PostRow(
            r.id,
            r.unit_id,
            r.role,
            r.title,
            r.holder_person_id,
            bool(r.acting),
            tuple(sorted(units.get(r.id, ()))),
            tuple(sorted(industries.get(r.id, ()))),
            r.acting_person_id,
            r.acting_from,
            r.acting_until,
            r.holder_from,
            r.previous_holder_person_id,
        )
    return snapshot


async def lock_directory(session: AsyncSession) -> None:
    """Two imports at once would each diff against a directory the other is changing."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_advisory_xact_lock({_IMPORT_LOCK})"))
