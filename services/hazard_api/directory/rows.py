"""The directory as rows the import compares: the stored `Snapshot`, the file's `Plan`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from shared.contract import UnitKind


class UnitRow(NamedTuple):
    id: str
    kind: str
    name: str
    area_code: str
    parent_id: str | None
    is_safety_office: bool
    credit_code: str | None
    industry_code: str | None
    industry_name: str | None
    territorial_unit_id: str | None
    high_risk: bool
    status: str | None
    departments: tuple[str, ...]  # sorted ids of the supervising departments (enterprises)
    industries: tuple[str, ...] = ()  # sorted GB/T 4754 codes a department regulates


class PersonRow(NamedTuple):
    id: str
    unit_id: str
    name: str
    mobile: str | None
    email: str | None
    active: bool


class PostRow(NamedTuple):
    id: str
    unit_id: str
    role: str
    title: str
    holder_person_id: str | None
    acting: bool
    portfolio_units: tuple[str, ...]  # sorted
    portfolio_industries: tuple[str, ...]  # sorted
    acting_person_id: str | None = None
    acting_from: date | None = None
    acting_until: date | None = None
    holder_from: date | None = None
    previous_holder_person_id: str | None = None


@dataclass
class Snapshot:
    """The stored directory, as rows comparable with the file's."""

    units: dict[str, UnitRow] = field(default_factory=dict)
    townships: dict[str, str | None] = field(default_factory=dict)
    people: dict[str, PersonRow] = field(default_factory=dict)
    posts: dict[str, PostRow] = field(default_factory=dict)


@dataclass
class Plan:
    """The full new state of every entity the file names, and every unit's township."""

    units: dict[str, UnitRow] = field(default_factory=dict)
    people: dict[str, PersonRow] = field(default_factory=dict)
    posts: dict[str, PostRow] = field(default_factory=dict)
    townships: dict[str, str | None] = field(default_factory=dict)


# Parents before children: inserting in this order satisfies every foreign key row by row.
KIND_ORDER = {
    UnitKind.COUNTY: 0,
    UnitKind.TOWNSHIP: 1,
    UnitKind.DEPARTMENT: 1,
    UnitKind.VILLAGE: 2,
    UnitKind.ENTERPRISE: 3,
}


def townships(units: dict[str, UnitRow]) -> dict[str, str | None]:
    """Each unit's township (itself for one; None for the county and its departments)."""
    out: dict[str, str | None] = {}
    for unit in sorted(units.values(), key=lambda u: KIND_ORDER[UnitKind(u.kind)]):
        if unit.kind == UnitKind.TOWNSHIP:
            out[unit.id] = unit.id
        else:
            out[unit.id] = out.get(unit.parent_id) if unit.parent_id else None
    return out
