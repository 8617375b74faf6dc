"""The responsibility chain (一岗双责, 党政同责) of a unit, resolved from the directory.

Pure functions over directory snapshots, so that hazard_api (its `GET .../chain`) and the
notification service (from its read model of `org.events`) resolve exactly alike. Who holds
a post depends on the day (acting holders for a period, handover dates): callers pass the
time of sending, read from their injected clock.

- An enterprise supervised by several departments (linked explicitly, or in an industry a
  department regulates: 管行业必须管安全) reaches each department's chain; a vacancy falls
  through within that department (deputy → head → the county leader whose portfolio covers
  that department), never to another department's people.
- An enterprise no department supervises: department-level roles go to the county office.
- Party secretaries stand beside the government heads (党政同责); a vacant secretary's seat
  is answered by the head of the same level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from shared.clock import SHANGHAI
from shared.contract import ChainRole, PostRole, PostUpserted, UnitKind, UnitUpserted

# Where a vacant post falls through to: the next position up the chain.
FALLBACK: dict[ChainRole, ChainRole | None] = {
    ChainRole.ENTERPRISE_SAFETY_MANAGER: ChainRole.ENTERPRISE_PRINCIPAL,
    ChainRole.ENTERPRISE_PRINCIPAL: ChainRole.TOWNSHIP_IN_CHARGE,
    ChainRole.TOWNSHIP_IN_CHARGE: ChainRole.TOWNSHIP_PRINCIPAL,
    ChainRole.TOWNSHIP_PRINCIPAL: ChainRole.COUNTY_PORTFOLIO_LEADER,
    ChainRole.DEPARTMENT_IN_CHARGE: ChainRole.DEPARTMENT_HEAD,
    ChainRole.DEPARTMENT_HEAD: ChainRole.COUNTY_PORTFOLIO_LEADER,
    ChainRole.COUNTY_PORTFOLIO_LEADER: ChainRole.COUNTY_SAFETY_LEADER,
    ChainRole.COUNTY_SAFETY_LEADER: ChainRole.COUNTY_PRINCIPAL,
    ChainRole.COUNTY_OFFICE: ChainRole.COUNTY_SAFETY_LEADER,
    ChainRole.COUNTY_PRINCIPAL: None,
    # 党政同责: a vacant secretary's seat is answered by the principal of the same level.
    ChainRole.TOWNSHIP_PARTY_SECRETARY: ChainRole.TOWNSHIP_PRINCIPAL,
    ChainRole.COUNTY_PARTY_SECRETARY: ChainRole.COUNTY_PRINCIPAL,
}
CHAIN_ORDER: tuple[ChainRole, ...] = tuple(ChainRole)
DEPARTMENT_ROLES = frozenset({ChainRole.DEPARTMENT_HEAD, ChainRole.DEPARTMENT_IN_CHARGE})


@dataclass(frozen=True)
class ChainEntry:
    role: ChainRole
    person_id: str
    post_id: str
    unit_id: str
    acting: bool = False
    # The role whose post was vacant and fell through to this one.
    covering_for: ChainRole | None = None
    # For department-level roles: the supervising department this entry answers for.
    department_id: str | None = None


def holder_on(post: PostUpserted, day: date) -> tuple[str | None, bool]:
    """(person, acting) holding `post` on the Beijing day `day`; person None: vacant.

    An acting holder (代理) within their period comes first; before the handover date the
    previous holder still holds the post."""
    if post.acting_person_id is not None:
        started = post.acting_from is None or post.acting_from <= day
        not_ended = post.acting_until is None or day <= post.acting_until
        if started and not_ended:
            return post.acting_person_id, True
    if post.holder_from is not None and day < post.holder_from:
        return post.previous_holder_person_id, False
    return post.holder_person_id, post.acting if post.holder_person_id else False


def beijing_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def industry_covered(code: str | None, prefixes: Iterable[str]) -> bool:
    # GB/T 4754 codes at any depth: "C26" covers "C2661".
    return code is not None and any(code.startswith(prefix) for prefix in prefixes)


class Directory:
    """An in-memory view of units and posts, indexed for chain resolution."""

    def __init__(self, units: Iterable[UnitUpserted], posts: Iterable[PostUpserted]) -> None:
        self.units: dict[str, UnitUpserted] = {u.unit_id: u for u in units}
        self.posts_by_unit: dict[str, list[PostUpserted]] = {}
        for post in posts:
            self.posts_by_unit.setdefault(post.unit_id, []).append(post)
        # Looked up for every role of every hazard: found once, not by a scan each time.
        self._county = next((u for u in self.units.values() if u.kind == UnitKind.COUNTY), None)
        self._office = next((u for u in self.units.values() if u.is_safety_office), None)
        self._regulators = [
            u
            for u in self.units.values()
            if u.kind == UnitKind.DEPARTMENT and u.regulated_industry_codes
        ]

    def ancestor(self, unit_id: str | None, kind: UnitKind) -> UnitUpserted | None:
        seen: set[str] = set()
        while unit_id is not None and unit_id not in seen:
            seen.add(unit_id)
            unit = self.units.get(unit_id)
            if unit is None:
                return None
            if unit.kind == kind:
                return unit
            unit_id = unit.parent_id
        return None

    def county(self) -> UnitUpserted | None:
        return self._county

    def safety_office(self) -> UnitUpserted | None:
        return self._office

    def holders(self, unit_id: str | None, *roles: PostRole) -> list[PostUpserted]:
        if unit_id is None:
            return []
        return [p for p in self.posts_by_unit.get(unit_id, []) if p.role in roles]

    def departments_of(self, unit: UnitUpserted) -> list[UnitUpserted]:
        """The departments supervising `unit`: linked to it, or regulating its industry."""
        if unit.kind == UnitKind.DEPARTMENT:
            return [unit]
        ids = [d for d in unit.supervising_department_ids if d in self.units]
        if unit.kind == UnitKind.ENTERPRISE:
            ids += [
                d.unit_id
                for d in self._regulators
                if industry_covered(unit.industry_code, d.regulated_industry_codes)
            ]
        return [self.units[d] for d in sorted(set(ids))]


def _township_of(directory: Directory, unit: UnitUpserted) -> UnitUpserted | None:
    if unit.kind == UnitKind.TOWNSHIP:
        return unit
    start = unit.territorial_unit_id or unit.parent_id
    return directory.ancestor(start, UnitKind.TOWNSHIP)


def _posts_for_role(
    directory: Directory,
    unit: UnitUpserted,
    role: ChainRole,
    department: UnitUpserted | None = None,
) -> list[PostUpserted]:
    """The posts that hold a chain role for `unit`, vacant ones included; `department`
    narrows department-level roles, and a department's vacancy, to that one department."""
    enterprise_id = unit.unit_id if unit.kind == UnitKind.ENTERPRISE else None
    township = _township_of(directory, unit)
    township_id = township.unit_id if township else None
    departments = [department] if department else directory.departments_of(unit)
    county = directory.county()
    county_id = county.unit_id if county else None
    office = directory.safety_office()
    office_id = office.unit_id if office else None
    match role:
        case ChainRole.ENTERPRISE_PRINCIPAL:
            return directory.holders(enterprise_id, PostRole.PRINCIPAL)
        case ChainRole.ENTERPRISE_SAFETY_MANAGER:
            return directory.holders(enterprise_id, PostRole.SAFETY_MANAGER)
        case ChainRole.TOWNSHIP_PRINCIPAL:
            return directory.holders(township_id, PostRole.PRINCIPAL)
        case ChainRole.TOWNSHIP_IN_CHARGE:
            return directory.holders(township_id, PostRole.DEPUTY_SAFETY)
        case ChainRole.TOWNSHIP_PARTY_SECRETARY:
            return directory.holders(township_id, PostRole.PARTY_SECRETARY)
        case ChainRole.DEPARTMENT_HEAD:
            return [
                p for d in departments for p in directory.holders(d.unit_id, PostRole.PRINCIPAL)
            ]
        case ChainRole.DEPARTMENT_IN_CHARGE:
            return [
                p for d in departments for p in directory.holders(d.unit_id, PostRole.DEPUTY_SAFETY)
            ]
        case ChainRole.COUNTY_PORTFOLIO_LEADER:
            leaders = directory.holders(
                county_id, PostRole.LEADERSHIP_MEMBER, PostRole.DEPUTY_SAFETY
            )
            if department is not None:  # that department's vacancy: its own county leader
                return [p for p in leaders if department.unit_id in p.portfolio_unit_ids]
            covered = {d.unit_id for d in departments}
            if township is not None:
                covered.add(township.unit_id)
            return [
                p
                for p in leaders
                if covered.intersection(p.portfolio_unit_ids)
                or industry_covered(unit.industry_code, p.portfolio_industry_codes)
            ]
        case ChainRole.COUNTY_SAFETY_LEADER:
            return directory.holders(county_id, PostRole.DEPUTY_SAFETY)
        case ChainRole.COUNTY_PRINCIPAL:
            return directory.holders(county_id, PostRole.PRINCIPAL)
        case ChainRole.COUNTY_PARTY_SECRETARY:
            return directory.holders(county_id, PostRole.PARTY_SECRETARY)
        case ChainRole.COUNTY_OFFICE:
            return directory.holders(office_id, PostRole.PRINCIPAL, PostRole.DEPUTY_SAFETY)
    return []


def _fall_through(
    directory: Directory,
    unit: UnitUpserted,
    role: ChainRole,
    day: date,
    *,
    department: UnitUpserted | None = None,
    covering_for: ChainRole | None = None,
) -> list[ChainEntry]:
    asked: ChainRole | None = role
    while asked is not None:
        entries = []
        for post in _posts_for_role(directory, unit, asked, department):
            person, acting = holder_on(post, day)
            if person is not None:
                entries.append(
                    ChainEntry(
                        role=asked,
                        person_id=person,
                        post_id=post.post_id,
                        unit_id=post.unit_id,
                        acting=acting,
                        covering_for=covering_for,
                        department_id=department.unit_id if department else None,
                    )
                )
        if entries:
            return entries
        covering_for = covering_for or role
        asked = FALLBACK[asked]
    return []


def resolve_role(
    directory: Directory, unit_id: str, role: ChainRole, *, at: datetime
) -> list[ChainEntry]:
    """The people who answer for `role` on `unit_id` at the time `at` (the time of sending),
    falling through vacant posts upward."""
    unit = directory.units.get(unit_id)
    if unit is None:
        return []
    day = beijing_day(at)
    if role not in DEPARTMENT_ROLES:
        return _fall_through(directory, unit, role, day)
    departments = directory.departments_of(unit)
    if not departments:
        # Nobody supervises it: the county office answers for the industry's duty (it
        # coordinates the departments), not a county leader.
        return _fall_through(directory, unit, ChainRole.COUNTY_OFFICE, day, covering_for=role)
    entries: list[ChainEntry] = []
    seen: set[str] = set()
    for department in departments:
        for entry in _fall_through(directory, unit, role, day, department=department):
            if entry.person_id not in seen:  # two vacant departments under one leader
                seen.add(entry.person_id)
                entries.append(entry)
    return entries


def resolve_chain(
    directory: Directory,
    unit_id: str,
    roles: Iterable[ChainRole] = CHAIN_ORDER,
    *,
    at: datetime,
) -> dict[ChainRole, list[ChainEntry]]:
    return {role: resolve_role(directory, unit_id, role, at=at) for role in roles}


def directory_from(
    units: Mapping[str, UnitUpserted] | Iterable[UnitUpserted], posts: Iterable[PostUpserted]
) -> Directory:
    return Directory(units.values() if isinstance(units, Mapping) else units, posts)
