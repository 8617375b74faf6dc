"""Units of the directory: database work only; every change queues its org event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.records import actor_of, record
from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.scope import unit_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.models import (
    RegulatedIndustry,
    SupervisingDepartment,
    Unit,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from services.hazard_api.errors import Conflict, FieldError, Forbidden, NotFound
from shared.clock import Clock
from shared.contract import (
    ORG_EVENTS,
    EnterpriseStatus,
    Envelope,
    Producer,
    UnitKind,
    UnitUpserted,
)
from shared.outbox import add_event

# The tree: which kinds of unit each kind may hang under.
PARENT_KINDS: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.COUNTY: frozenset(),
    UnitKind.TOWNSHIP: frozenset({UnitKind.COUNTY}),
    UnitKind.VILLAGE: frozenset({UnitKind.TOWNSHIP}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.COUNTY}),
    UnitKind.ENTERPRISE: frozenset({UnitKind.TOWNSHIP, UnitKind.VILLAGE}),
}
_REGULATED_FORBIDDEN = "只有县安委办可以指定部门监管的行业"
_ENTERPRISE_ONLY = (
    "credit_code",
    "industry_code",
    "industry_name",
    "territorial_unit_id",
    "status",
)
_REQUIRED = (
    "name",
    "area_code",
    "is_safety_office",
    "high_risk",
    "supervising_department_ids",
    "regulated_industry_codes",
)


@dataclass(frozen=True)
class UnitLinks:
    """A unit's rows in the link tables: the departments supervising an enterprise, the
    industries a department regulates."""

    departments: list[str]
    industries: list[str]


async def emit(
    session: AsyncSession, payload: BaseModel, *, aggregate_id: str, clock: Clock
) -> None:
    """Queue an org event in the caller's transaction (topic org.events, key = entity id)."""
    envelope = Envelope.of(
        payload, aggregate_id=aggregate_id, producer=Producer.HAZARD_API, occurred_at=clock.now()
    )
    await add_event(session, outbox_tables.outbox, envelope, ORG_EVENTS, now=clock.now())


async def department_ids(session: AsyncSession, unit_id: str) -> list[str]:
    rows = await session.scalars(
        select(SupervisingDepartment.department_id)
        .where(SupervisingDepartment.enterprise_id == unit_id)
        .order_by(SupervisingDepartment.department_id)
    )
    return list(rows)


async def links_of(session: AsyncSession, unit_ids: list[str]) -> dict[str, UnitLinks]:
    links = {i: UnitLinks([], []) for i in unit_ids}
    if unit_ids:
        for enterprise_id, department_id in await session.execute(
            select(SupervisingDepartment.enterprise_id, SupervisingDepartment.department_id)
            .where(SupervisingDepartment.enterprise_id.in_(unit_ids))
            .order_by(SupervisingDepartment.department_id)
        ):
            links[enterprise_id].departments.append(department_id)
        for department_id, code in await session.execute(
            select(RegulatedIndustry.department_id, RegulatedIndustry.industry_code)
            .where(RegulatedIndustry.department_id.in_(unit_ids))
            .order_by(RegulatedIndustry.industry_code)
        ):
            links[department_id].industries.append(code)
    return links


async def unit_links(session: AsyncSession, unit_id: str) -> UnitLinks:
    return (await links_of(session, [unit_id]))[unit_id]


def unit_event(unit: Unit, links: UnitLinks) -> UnitUpserted:
    return UnitUpserted(
        unit_id=unit.id,
        kind=UnitKind(unit.kind),
        name=unit.name,
        area_code=unit.area_code,
        parent_id=unit.parent_id,
        is_safety_office=unit.is_safety_office,
        credit_code=unit.credit_code,
        industry_code=unit.industry_code,
        industry_name=unit.industry_name,
        territorial_unit_id=unit.territorial_unit_id,
        supervising_department_ids=links.departments,
        high_risk=unit.high_risk,
        status=EnterpriseStatus(unit.status) if unit.status else None,
        regulated_industry_codes=links.industries,
    )


def unit_out(unit: Unit, links: UnitLinks) -> UnitOut:
    return UnitOut(
        id=unit.id,
        township_id=unit.township_id,
        **unit_event(unit, links).model_dump(exclude={"unit_id"}),
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


# The county's frame (the county, its townships and departments) is known to everyone who
# keeps a part of the directory; villages and enterprises only within one's scope.
_PUBLIC_KINDS = frozenset({UnitKind.COUNTY, UnitKind.TOWNSHIP, UnitKind.DEPARTMENT})


async def _referenced(
    session: AsyncSession, field: str, unit_id: str, user: AuthUser | None = None
) -> Unit:
    """A referenced unit; one out of the caller's scope answers as a missing one."""
    unit = await session.get(Unit, unit_id)
    hidden = (
        unit is not None
        and user is not None
        and unit.kind not in _PUBLIC_KINDS
        and await session.scalar(select(Unit.id).where(Unit.id == unit_id, unit_scope(user)))
        is None
    )
    if unit is None or hidden:
        raise FieldError(field, "引用的单位不存在")
    return unit


async def _checked_state(
    state: dict[str, Any], *, session: AsyncSession, unit_id: str | None, user: AuthUser | None
) -> tuple[dict[str, Any], str | None]:
    """Validates a unit's full state against the tree; returns it with its township id."""
    kind = UnitKind(state["kind"])
    if kind == UnitKind.ENTERPRISE:
        state["territorial_unit_id"] = state.get("territorial_unit_id") or state.get("parent_id")
        state["parent_id"] = state.get("parent_id") or state["territorial_unit_id"]
        if state["territorial_unit_id"] is None:
            raise FieldError("territorial_unit_id", "企业须指定属地乡镇（街道）或村（社区）")
        if state["parent_id"] != state["territorial_unit_id"]:
            raise FieldError("parent_id", "企业的上级单位须与属地单位一致")
        if not state.get("industry_code"):
            raise FieldError("industry_code", "企业须填写国民经济行业代码（GB/T 4754）")
        state["status"] = state.get("status") or EnterpriseStatus.OPERATING.value
    else:
        for field in _ENTERPRISE_ONLY:
            if state.get(field) is not None:
                raise FieldError(field, "只有企业可以填写此项")
        if state.get("supervising_department_ids"):
            raise FieldError("supervising_department_ids", "只有企业可以指定监管部门")
    if kind != UnitKind.DEPARTMENT and state.get("regulated_industry_codes"):
        raise FieldError("regulated_industry_codes", "只有部门可以指定监管的行业")
        if state.get("high_risk"):
            raise FieldError("high_risk", "只有企业可以标记为高危行业")
    if state.get("is_safety_office") and kind != UnitKind.DEPARTMENT:
        raise FieldError("is_safety_office", "只有部门可以作为县安委办")
    parent_id = state.get("parent_id")
    allowed = PARENT_KINDS[kind]
    township_id: str | None = None
    if not allowed:
        if parent_id is not None:
            raise FieldError("parent_id", "县级单位没有上级单位")
    elif parent_id is None:
        raise FieldError("parent_id", "须指定上级单位")
    else:
        if parent_id == unit_id:
            raise FieldError("parent_id", "上级单位不能是本单位")
        parent = await _referenced(session, "parent_id", parent_id, user)
        if UnitKind(parent.kind) not in allowed:
            names = "、".join(sorted(k.value for k in allowed))
            raise FieldError("parent_id", f"该类单位的上级须为：{names}")
        township_id = parent.township_id
    if kind == UnitKind.TOWNSHIP:
        township_id = unit_id
    for department_id in state.get("supervising_department_ids") or []:
        department = await _referenced(session, "supervising_department_ids", department_id, user)
        if department.kind != UnitKind.DEPARTMENT:
            raise FieldError("supervising_department_ids", "监管单位须为部门（安委成员单位）")
    return state, township_id


async def _ensure_unique_name(
    session: AsyncSession, parent_id: str | None, name: str, unit_id: str | None
) -> None:
    query = select(Unit.id).where(
        Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id,
        Unit.name == name,
    )
    if unit_id is not None:
        query = query.where(Unit.id != unit_id)
    if await session.scalar(query) is not None:
        raise Conflict("同一上级单位下已有同名单位")


async def _ensure_unique_credit_code(
    session: AsyncSession, credit_code: str | None, unit_id: str | None
) -> None:
    # A credit code is public (printed on the business licence): saying it is taken leaks nothing.
    if credit_code is None:
        return
    query = select(Unit.id).where(Unit.credit_code == credit_code)
    if unit_id is not None:
        query = query.where(Unit.id != unit_id)
    if await session.scalar(query) is not None:
        raise Conflict("该统一社会信用代码已登记给其他企业")


async def _ensure_visible(
    session: AsyncSession, user: AuthUser, unit_id: str, message: str
) -> None:
    await session.flush()
    if await session.scalar(select(Unit.id).where(Unit.id == unit_id, unit_scope(user))) is None:
        raise Forbidden(message)


async def _write_links(
    session: AsyncSession, unit_id: str, departments: list[str], industries: list[str]
) -> UnitLinks:
    await session.execute(
        delete(SupervisingDepartment).where(SupervisingDepartment.enterprise_id == unit_id)
    )
    await session.execute(
        delete(RegulatedIndustry).where(RegulatedIndustry.department_id == unit_id)
    )
    links = UnitLinks(sorted(set(departments)), sorted(set(industries)))
    session.add_all(
        SupervisingDepartment(enterprise_id=unit_id, department_id=d) for d in links.departments
    )
    session.add_all(
        RegulatedIndustry(department_id=unit_id, industry_code=c) for c in links.industries
    )
    return links


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
    state, township_id = await _checked_state(
        data.model_dump(mode="json"), session=session, unit_id=new_id, user=user
    )
    await _ensure_unique_name(session, state["parent_id"], state["name"], None)
    await _ensure_unique_credit_code(session, state.get("credit_code"), None)
    departments = state.pop("supervising_department_ids")
    industries = state.pop("regulated_industry_codes")
    now = clock.now()
    unit = Unit(id=new_id, township_id=township_id, created_at=now, updated_at=now, **state)
    session.add(unit)
    await session.flush()
    links = await _write_links(session, unit.id, departments, industries)
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
    state, township_id = await _checked_state(
        {**current, **changes}, session=session, unit_id=unit.id, user=user
    )
    await _ensure_unique_name(session, state["parent_id"], state["name"], unit.id)
    await _ensure_unique_credit_code(session, state.get("credit_code"), unit.id)
    departments = state.pop("supervising_department_ids")
    industries = state.pop("regulated_industry_codes")
    state.pop("kind")
    for field, value in state.items():
        setattr(unit, field, value)
    moved = unit.township_id != township_id
    unit.township_id = township_id
    unit.updated_at = clock.now()
    links = await _write_links(session, unit.id, departments, industries)
    if moved:
        await _refresh_townships(session, unit)
    await _ensure_visible(session, user, unit.id, "修改后该单位将超出您的管辖范围")
    await emit(session, unit_event(unit, links), aggregate_id=unit.id, clock=clock)
    await _audit(session, user, "directory.unit_updated", unit, current, links, unit.updated_at)
    return unit, links


async def _refresh_townships(session: AsyncSession, root: Unit) -> None:
    """A unit moved to another township: so does everything under it."""
    frontier = [root]
    while frontier:
        unit = frontier.pop()
        children = await session.scalars(select(Unit).where(Unit.parent_id == unit.id))
        for child in children:
            if child.kind != UnitKind.TOWNSHIP:
                child.township_id = unit.township_id
                frontier.append(child)
