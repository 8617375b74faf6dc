"""The scope filter: which units (and, through them, hazards) a user may see.

Scoping is enforced in the queries themselves; a row outside the caller's scope is simply not
found (404), so its existence does not leak. Use it like:

    select(Hazard).where(in_scope(user, Hazard.unit_id))
    select(Unit).where(unit_scope(user))

- county_office: everything;
- township: the township itself and every unit in its territory (villages, enterprises);
- department: itself and the enterprises it supervises: linked to it, or in an industry it
  regulates (GB/T 4754 prefix, 管行业必须管安全);
- enterprise: itself;
- leader: their own unit; the units their posts lead (a county principal or the county leader in
  charge of safety: the whole county; a township head: its territory); their portfolios
  (一岗双责: a township's territory, a department and what it supervises, industries by
  GB/T 4754 prefix);
- integration: what the unit it is bound to covers (the county: everything); endpoints also
  check its token scopes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, aliased

from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.models import (
    PortfolioIndustry,
    PortfolioUnit,
    Post,
    RegulatedIndustry,
    SupervisingDepartment,
    Unit,
)
from shared.contract import PostRole, UnitKind

UnitIds = Select[Any] | list[str]


def supervised_by(ids: UnitIds) -> ColumnElement[bool]:
    """Enterprises the given departments supervise: linked to one explicitly, or in an
    industry one regulates (a GB/T 4754 code or prefix)."""
    return or_(
        Unit.id.in_(
            select(SupervisingDepartment.enterprise_id).where(
                SupervisingDepartment.department_id.in_(ids)
            )
        ),
        and_(
            Unit.kind == UnitKind.ENTERPRISE.value,
            exists(
                select(RegulatedIndustry.department_id).where(
                    RegulatedIndustry.department_id.in_(ids),
                    Unit.industry_code.startswith(RegulatedIndustry.industry_code),
                )
            ),
        ),
    )


def supervises(
    department_id: ColumnElement[Any] | InstrumentedAttribute[Any],
    enterprise_id: ColumnElement[Any] | InstrumentedAttribute[Any],
    industry_code: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> ColumnElement[bool]:
    """The department supervises the enterprise: linked, or regulating its industry.

    The columns given belong to enclosing queries, however deeply nested: correlated to them."""
    return or_(
        exists(
            select(SupervisingDepartment.department_id)
            .where(
                SupervisingDepartment.enterprise_id == enterprise_id,
                SupervisingDepartment.department_id == department_id,
            )
            .correlate_except(SupervisingDepartment)
        ),
        exists(
            select(RegulatedIndustry.department_id)
            .where(
                RegulatedIndustry.department_id == department_id,
                industry_code.startswith(RegulatedIndustry.industry_code),
            )
            .correlate_except(RegulatedIndustry)
        ),
    )


def covered_by(ids: UnitIds) -> ColumnElement[bool]:
    """Units that the given units answer for: themselves, their territory, what they supervise."""
    covering = aliased(Unit)
    return or_(
        Unit.id.in_(ids),
        Unit.township_id.in_(ids),
        supervised_by(ids),
        exists(
            select(covering.id).where(covering.id.in_(ids), covering.kind == UnitKind.COUNTY.value)
        ),
    )


def _leader_scope(user: AuthUser) -> ColumnElement[bool]:
    own = Unit.id == user.unit_id
    if user.person_id is None:
        return own
    held = select(Post.id).where(Post.holder_person_id == user.person_id)
    led = select(Post.unit_id).where(
        Post.holder_person_id == user.person_id,
        Post.role.in_([PostRole.PRINCIPAL.value, PostRole.DEPUTY_SAFETY.value]),
    )
    portfolio = select(PortfolioUnit.unit_id).where(PortfolioUnit.post_id.in_(held))
    industries = exists(
        select(PortfolioIndustry.post_id).where(
            PortfolioIndustry.post_id.in_(held),
            Unit.industry_code.startswith(PortfolioIndustry.industry_code),
        )
    )
    return or_(own, covered_by(led), covered_by(portfolio), industries)


def unit_scope(user: AuthUser) -> ColumnElement[bool]:
    """A condition on `Unit` rows: true for the units `user` may see."""
    match user.role:
        case UserRole.COUNTY_OFFICE:
            return true()
        case UserRole.TOWNSHIP | UserRole.INTEGRATION:
            return covered_by([user.unit_id])
        case UserRole.DEPARTMENT:
            return or_(Unit.id == user.unit_id, supervised_by([user.unit_id]))
        case UserRole.ENTERPRISE:
            return Unit.id == user.unit_id
        case UserRole.LEADER:
            return _leader_scope(user)
    return false()


def visible_unit_ids(user: AuthUser) -> Select[Any]:
    return select(Unit.id).where(unit_scope(user))


def in_scope(
    user: AuthUser, unit_id: InstrumentedAttribute[Any] | ColumnElement[Any]
) -> ColumnElement[bool]:
    """A condition on any row carrying a unit id (hazards, people, posts…)."""
    if user.role == UserRole.COUNTY_OFFICE:
        return true()
    return unit_id.in_(visible_unit_ids(user))
