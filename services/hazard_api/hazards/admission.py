"""Admission of a new item's caller and unit (database only): one round trip for the caller's
users row and the unit asked for, in the caller's scope, with its supervising departments.
Hazard intake, accident quick reports and suspension orders admit through it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.scope import in_scope, supervises
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.models import Unit
from shared.contract import UnitKind


@dataclass(frozen=True)
class UnitFacts:
    id: str
    name: str
    area_code: str
    industry_code: str | None
    township_id: str | None
    department_ids: list[str]


# scopes, unit id, name, area code, industry, township, one supervising department
IntakeSelect = Select[str, str, str, str, str | None, str | None, str]


@functools.lru_cache(maxsize=1024)
def _intake_lookup(role: UserRole, unit_id: str, person_id: str | None) -> IntakeSelect:
    """Built once per identity: the caller's users row (still active, still this identity) and
    the unit asked for if it is in the identity's scope, with its supervising departments."""
    who = AuthUser(
        id="", username="", role=role, unit_id=unit_id, person_id=person_id, scopes=frozenset()
    )
    same_person = User.person_id.is_(None) if person_id is None else User.person_id == person_id
    department = aliased(Unit)  # linked to the unit, or regulating its industry
    return (
        select(
            User.scopes,
            Unit.id.label("unit_id"),
            Unit.name,
            Unit.area_code,
            Unit.industry_code,
            Unit.township_id,
            department.id.label("department_id"),
        )
        .select_from(User)
        .outerjoin(Unit, and_(Unit.id == bindparam("unit_id"), in_scope(who, Unit.id)))
        .outerjoin(
            department,
            and_(
                department.kind == UnitKind.DEPARTMENT.value,
                supervises(department.id, Unit.id, Unit.industry_code),
            ),
        )
        .where(
            User.id == bindparam("user_id"),
            User.active,
            User.role == role.value,
            User.unit_id == unit_id,
            same_person,
            # A token issued before a password change or a lock (bearer.ensure_current's rule).
            or_(
                User.tokens_valid_from.is_(None),
                User.tokens_valid_from < bindparam("issued_before"),
            ),
        )
    )


@dataclass(frozen=True)
class IntakeLookup:
    allowed_scopes: str  # the users row's scopes (integration clients)
    unit: UnitFacts | None  # None: no such unit, or not in the caller's scope


def issued_before(claims: Mapping[str, Any]) -> datetime:
    """The cut-off a token passes if `tokens_valid_from` is earlier: the next whole second
    after its `iat` (a token without one passes none)."""
    iat = claims.get("iat")
    if not isinstance(iat, int | float):
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(iat) + 1, UTC)


async def intake_lookup(
    *, session: AsyncSession, who: AuthUser, unit_id: str, claims: Mapping[str, Any]
) -> IntakeLookup | None:
    """One round trip for the caller and the unit of a new hazard (plain columns: intake needs
    a few facts, not a tracked ORM object). None: the users row is missing, locked, cut off
    for this token, or no longer matches `who` (the caller reloads it)."""
    rows = (
        await session.execute(
            _intake_lookup(who.role, who.unit_id, who.person_id),
            {"user_id": who.id, "unit_id": unit_id, "issued_before": issued_before(claims)},
        )
    ).all()
    if not rows:
        return None
    first = rows[0]
    if first.unit_id is None:
        return IntakeLookup(first.scopes, None)
    unit = UnitFacts(
        id=first.unit_id,
        name=first.name,
        area_code=first.area_code,
        industry_code=first.industry_code,
        township_id=first.township_id,
        department_ids=sorted(r.department_id for r in rows if r.department_id is not None),
    )
    return IntakeLookup(first.scopes, unit)
