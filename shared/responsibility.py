"""The responsibility chain (一岗双责) of a unit, resolved from the organisation directory.

Pure functions over directory snapshots, so that hazard_api (its `GET .../chain`) and the
notification service (from its read model of `org.events`) resolve exactly alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class ChainEntry:
    role: ChainRole
    person_id: str
    post_id: str
    unit_id: str
    acting: bool = False
    # The role whose post was vacant and fell through to this one.
    covering_for: ChainRole | None = None


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


def _township_of(directory: Directory, unit: UnitUpserted) -> UnitUpserted | None:
    if unit.kind == UnitKind.TOWNSHIP:
        return unit
    start = unit.territorial_unit_id or unit.parent_id
    return directory.ancestor(start, UnitKind.TOWNSHIP)


def _departments_of(directory: Directory, unit: UnitUpserted) -> list[UnitUpserted]:
    if unit.kind == UnitKind.DEPARTMENT:
        return [unit]
    return [directory.units[d] for d in unit.supervising_department_ids if d in directory.units]


def _posts_for_role(
    directory: Directory, unit: UnitUpserted, role: ChainRole
) -> list[PostUpserted]:
    """The posts that hold a chain role for `unit`, vacant ones included."""
    enterprise_id = unit.unit_id if unit.kind == UnitKind.ENTERPRISE else None
    township = _township_of(directory, unit)
    township_id = township.unit_id if township else None
    departments = _departments_of(directory, unit)
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
        case ChainRole.COUNTY_PARTY_SECRETARY:
            return directory.holders(county_id, PostRole.PARTY_SECRETARY)
        case ChainRole.DEPARTMENT_HEAD:
            return [
                p for d in departments for p in directory.holders(d.unit_id, PostRole.PRINCIPAL)
            ]
        case ChainRole.DEPARTMENT_IN_CHARGE:
            return [
                p for d in departments for p in directory.holders(d.unit_id, PostRole.DEPUTY_SAFETY)
            ]
        case ChainRole.COUNTY_PORTFOLIO_LEADER:
            covered = {d.unit_id for d in departments}
            if township is not None:
                covered.add(township.unit_id)
            industry = unit.industry_code
            return [
                p
                for p in directory.holders(
                    county_id, PostRole.LEADERSHIP_MEMBER, PostRole.DEPUTY_SAFETY
                )
                if covered.intersection(p.portfolio_unit_ids)
                or (
                    industry is not None and _industry_covered(industry, p.portfolio_industry_codes)
                )
            ]
        case ChainRole.COUNTY_SAFETY_LEADER:
            return directory.holders(county_id, PostRole.DEPUTY_SAFETY)
        case ChainRole.COUNTY_PRINCIPAL:
            return directory.holders(county_id, PostRole.PRINCIPAL)
        case ChainRole.COUNTY_OFFICE:
            return directory.holders(office_id, PostRole.PRINCIPAL, PostRole.DEPUTY_SAFETY)
    return []


def _industry_covered(code: str | None, portfolio: Iterable[str]) -> bool:
    # A portfolio names GB/T 4754 codes at any depth: "C26" covers "C2661".
    return code is not None and any(code.startswith(prefix) for prefix in portfolio)


def resolve_role(directory: Directory, unit_id: str, role: ChainRole) -> list[ChainEntry]:
    """The people who answer for `role` on `unit_id`, falling through vacant posts upward."""
    unit = directory.units.get(unit_id)
    if unit is None:
        return []
    asked: ChainRole | None = role
    covering_for: ChainRole | None = None
    while asked is not None:
        posts = _posts_for_role(directory, unit, asked)
        filled = [p for p in posts if p.holder_person_id is not None]
        if filled:
            return [
                ChainEntry(
                    role=asked,
                    person_id=p.holder_person_id,
                    post_id=p.post_id,
                    unit_id=p.unit_id,
                    acting=p.acting,
                    covering_for=covering_for,
                )
                for p in filled
                if p.holder_person_id is not None
            ]
        covering_for = covering_for or role
        asked = FALLBACK[asked]
    return []


def resolve_chain(
    directory: Directory, unit_id: str, roles: Iterable[ChainRole] = CHAIN_ORDER
) -> dict[ChainRole, list[ChainEntry]]:
    return {role: resolve_role(directory, unit_id, role) for role in roles}


def directory_from(
    units: Mapping[str, UnitUpserted] | Iterable[UnitUpserted], posts: Iterable[PostUpserted]
) -> Directory:
    return Directory(units.values() if isinstance(units, Mapping) else units, posts)
