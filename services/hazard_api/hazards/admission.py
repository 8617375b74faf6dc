"""Admission of a new item's caller and unit: one round trip for the caller's users row and the
unit asked for, in the caller's scope, with its supervising departments. Hazard intake,
accident quick reports and suspension orders admit through it; `admitted_caller` and
`admitted_enterprise` are the creations' admission steps (401 / 403 / 404 / 422)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.hazard_api.auth.deps import missing_scopes, unauthenticated
from services.hazard_api.auth.models import Scope, User, UserRole
from services.hazard_api.auth.scope import in_scope, supervises
from services.hazard_api.auth.service import AuthUser, granted_from, load_auth_user
from services.hazard_api.directory.models import Unit
from services.hazard_api.errors import FieldError, NotFound
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


async def admitted_caller(claims: Mapping[str, Any], session: AsyncSession) -> AuthUser:
    """The caller as its users row stands now (401: gone or locked)."""
    who = await load_auth_user(dict(claims), session=session)
    if who is None:
        raise unauthenticated()
    return who


async def admitted_enterprise(
    claims: Mapping[str, Any],
    session: AsyncSession,
    unit_id: str | None,
    *,
    not_found: str,
    not_an_enterprise: str,
    needs_scope: Scope | None = None,
) -> tuple[AuthUser, UnitFacts, Unit]:
    """The caller with the scopes its token and users row grant, and the enterprise asked for
    (default: the caller's own unit) within its scope. 401: account gone, locked or changed;
    403: an integration client without `needs_scope`; 404: no such unit in scope; 422: the
    unit is not an enterprise."""
    who = await admitted_caller(claims, session)
    found = await intake_lookup(
        session=session, who=who, unit_id=unit_id or who.unit_id, claims=claims
    )
    if found is None:
        raise unauthenticated()
    user = replace(who, scopes=granted_from(who.role, found.allowed_scopes, claims))
    integration = user.role == UserRole.INTEGRATION
    if needs_scope is not None and integration and needs_scope.value not in user.scopes:
        raise missing_scopes(needs_scope.value)
    if found.unit is None:
        raise NotFound(not_found)
    unit = await session.get(Unit, found.unit.id)
    if unit is None or unit.kind != UnitKind.ENTERPRISE.value:
        raise FieldError("unit_id", not_an_enterprise)
    return user, found.unit, unit
