"""Units of the directory: database work only; every change queues its org event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.records import actor_of, record
from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.scope import unit_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.links import (
    UnitLinks,
    emit,
    links_of,
    unit_event,
    unit_links,
    write_links,
)
from services.hazard_api.directory.models import Unit
from services.hazard_api.directory.schemas import UnitIn, UnitPatch
from services.hazard_api.directory.tree import (
    checked_state,
    ensure_unique_credit_code,
    ensure_unique_name,
    refresh_townships,
)
from services.hazard_api.errors import Conflict, FieldError, Forbidden, NotFound
from shared.clock import Clock
from shared.contract import (
    UnitKind,
)

_REGULATED_FORBIDDEN = "只有县安委办可以指定部门监管的行业"


_REQUIRED = (
    "name",
    "area_code",
    "is_safety_office",
    "high_risk",
    "supervising_department_ids",
    "regulated_industry_codes",
)


async def get_unit(unit_id: str, *, session: AsyncSession, user: AuthUser) -> Unit:
    """The unit if it exists and `user` may see it; otherwise NotFound (the same answer)."""
    unit = await session.scalar(select(Unit).where(Unit.id == unit_id, unit_scope(user)))
    if unit is None:
        raise NotFound("单位不存在")
    return unit


async def list_units(
    *,
    session: AsyncSession,
    user: AuthUser,
    kind: UnitKind | None = None,
    parent_id: str | None = None,
    township_id: str | None = None,
    name_contains: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[Unit, UnitLinks]]:
    query = select(Unit).where(unit_scope(user))
    if kind is not None:
        query = query.where(Unit.kind == kind.value)
    if parent_id is not None:
        query = query.where(Unit.parent_id == parent_id)
    if township_id is not None:
        query = query.where(Unit.township_id == township_id)
    if name_contains:
        query = query.where(Unit.name.contains(name_contains, autoescape=True))
    units = list(
        await session.scalars(
            query.order_by(Unit.kind, Unit.name, Unit.id).limit(limit).offset(offset)
        )
    )
    links = await links_of(session, [u.id for u in units])
    return [(u, links[u.id]) for u in units]


async def _ensure_visible(
    session: AsyncSession, user: AuthUser, unit_id: str, message: str
) -> None:
    await session.flush()
    if await session.scalar(select(Unit.id).where(Unit.id == unit_id, unit_scope(user))) is None:
        raise Forbidden(message)


async def create_unit(
    data: UnitIn,
    *,
    session: AsyncSession,
    user: AuthUser | None,
    clock: Clock,
    unit_id: str | None = None,
) -> tuple[Unit, UnitLinks]:
    """`user` None: a trusted caller (seeding) that is not scoped."""
    new_id = unit_id or str(uuid.uuid4())
    if data.regulated_industry_codes and user is not None and user.role != UserRole.COUNTY_OFFICE:
        raise Forbidden(_REGULATED_FORBIDDEN)
    if await session.get(Unit, new_id) is not None:
        raise Conflict("单位编号已存在")
    state, township_id = await checked_state(
        data.model_dump(mode="json"), session=session, unit_id=new_id, user=user
    )
    await ensure_unique_name(session, state["parent_id"], state["name"], None)
    await ensure_unique_credit_code(session, state.get("credit_code"), None)
    departments = state.pop("supervising_department_ids")
    industries = state.pop("regulated_industry_codes")
    now = clock.now()
    unit = Unit(id=new_id, township_id=township_id, created_at=now, updated_at=now, **state)
    session.add(unit)
    await session.flush()
    links = await write_links(session, unit.id, departments, industries)
    if user is not None:
        await _ensure_visible(session, user, unit.id, "新建单位不在您的管辖范围内")
    await emit(session, unit_event(unit, links), aggregate_id=unit.id, clock=clock)
    await _audit(session, user, "directory.unit_created", unit, None, links, now)
    return unit, links


def _unit_state(unit: Unit, links: UnitLinks) -> dict[str, Any]:
    return unit_event(unit, links).model_dump(mode="json", exclude={"unit_id"})


async def _audit(
    session: AsyncSession,
    user: AuthUser | None,
    action: str,
    unit: Unit,
    before: dict[str, Any] | None,
    links: UnitLinks,
    at: datetime,
) -> None:
    await record(
        session,
        actor=actor_of(user),
        action=action,
        entity_type="unit",
        entity_id=unit.id,
        before=before,
        after=_unit_state(unit, links),
        at=at,
    )


async def update_unit(
    unit_id: str, patch: UnitPatch, *, session: AsyncSession, user: AuthUser, clock: Clock
) -> tuple[Unit, UnitLinks]:
    unit = await get_unit(unit_id, session=session, user=user)
    current = unit_event(unit, await unit_links(session, unit.id)).model_dump(
        mode="json", exclude={"unit_id"}
    )
    changes = patch.model_dump(mode="json", exclude_unset=True)
    for required in _REQUIRED:
        if required in changes and changes[required] is None:
            raise FieldError(required, "此项不能为空")
    if (
        "is_safety_office" in changes
        and changes["is_safety_office"] != current["is_safety_office"]
        and user.role != UserRole.COUNTY_OFFICE
    ):
        raise Forbidden("只有县安委办可以指定安委办所在部门")
    if (
        "regulated_industry_codes" in changes
        and sorted(set(changes["regulated_industry_codes"] or []))
        != current["regulated_industry_codes"]
        and user.role != UserRole.COUNTY_OFFICE
    ):
        # What a department regulates decides what it sees: the county's assignment (三定).
        raise Forbidden(_REGULATED_FORBIDDEN)
    state, township_id = await checked_state(
        {**current, **changes}, session=session, unit_id=unit.id, user=user
    )
    await ensure_unique_name(session, state["parent_id"], state["name"], unit.id)
    await ensure_unique_credit_code(session, state.get("credit_code"), unit.id)
    departments = state.pop("supervising_department_ids")
    industries = state.pop("regulated_industry_codes")
    state.pop("kind")
    for field, value in state.items():
        setattr(unit, field, value)
    moved = unit.township_id != township_id
    unit.township_id = township_id
    unit.updated_at = clock.now()
    links = await write_links(session, unit.id, departments, industries)
    if moved:
        await refresh_townships(session, unit)
    await _ensure_visible(session, user, unit.id, "修改后该单位将超出您的管辖范围")
    await emit(session, unit_event(unit, links), aggregate_id=unit.id, clock=clock)
    await _audit(session, user, "directory.unit_updated", unit, current, links, unit.updated_at)
    return unit, links
