"""Who may touch what in the directory: the checks people and posts share, and their audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.records import actor_of, record
from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.scope import in_scope, unit_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.models import Person, Post, Unit
from services.hazard_api.errors import FieldError, Forbidden
from shared.contract import UnitKind

# Who may touch what the county answers for (一岗双责 portfolios, county leaders' posts and
# records): a portfolio decides what its holder sees, so setting one is the county office's.
_PORTFOLIO_FORBIDDEN = "只有县安委办可以设置或变更领导岗位的分管范围（一岗双责）"
_COUNTY_LEADER_FORBIDDEN = "县领导的人员信息和任职只能由县安委办维护"
_HOLDER_UNKNOWN = "任职人员不存在或不在您的管辖范围内"


def _keeps_county(user: AuthUser | None) -> bool:
    """The county office, or a trusted caller on the server (seeding, `duban admin`)."""
    return user is None or user.role == UserRole.COUNTY_OFFICE


async def _is_county_leader(session: AsyncSession, person_id: str) -> bool:
    """Holds a post of the county itself, or signs in with a leader account."""
    county_post = await session.scalar(
        select(Post.id)
        .join(Unit, Unit.id == Post.unit_id)
        .where(Post.holder_person_id == person_id, Unit.kind == UnitKind.COUNTY.value)
        .limit(1)
    )
    if county_post is not None:
        return True
    leader = await session.scalar(
        select(User.id)
        .where(User.person_id == person_id, User.role == UserRole.LEADER.value)
        .limit(1)
    )
    return leader is not None


async def _check_holder(
    session: AsyncSession, user: AuthUser | None, person_id: str, field: str = "holder_person_id"
) -> None:
    """A holder from the caller's own scope (missing and out of scope answer alike), and never a
    county leader unless the county office appoints them."""
    if _keeps_county(user):
        return
    assert user is not None
    visible = await session.scalar(
        select(Person.id).where(Person.id == person_id, in_scope(user, Person.unit_id))
    )
    if visible is None:
        raise FieldError(field, _HOLDER_UNKNOWN)
    if await _is_county_leader(session, person_id):
        raise Forbidden(_COUNTY_LEADER_FORBIDDEN)


async def _unit_in_scope(
    session: AsyncSession, user: AuthUser | None, field: str, unit_id: str
) -> Unit:
    query = select(Unit).where(Unit.id == unit_id)
    if user is not None:
        query = query.where(unit_scope(user))
    unit = await session.scalar(query)
    if unit is None:
        raise FieldError(field, "单位不存在或不在您的管辖范围内")
    return unit


async def _audit(
    session: AsyncSession,
    user: AuthUser | None,
    action: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> None:
    entity_type = action.split(".")[1].split("_")[0]  # directory.post_updated → post
    await record(
        session,
        actor=actor_of(user),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        at=at,
    )
