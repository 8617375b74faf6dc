"""The unit tree's rules: which kind hangs under which, references within the caller's scope,
names unique under a parent, townships following a moved unit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import unit_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.models import Unit
from services.hazard_api.errors import Conflict, FieldError
from shared.contract import (
    EnterpriseStatus,
    UnitKind,
)

# The tree: which kinds of unit each kind may hang under.
PARENT_KINDS: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.COUNTY: frozenset(),
    UnitKind.TOWNSHIP: frozenset({UnitKind.COUNTY}),
    UnitKind.VILLAGE: frozenset({UnitKind.TOWNSHIP}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.COUNTY}),
    UnitKind.ENTERPRISE: frozenset({UnitKind.TOWNSHIP, UnitKind.VILLAGE}),
}


_ENTERPRISE_ONLY = (
    "credit_code",
    "industry_code",
    "industry_name",
    "territorial_unit_id",
    "status",
)


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


async def checked_state(
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
        if state.get("high_risk"):
            raise FieldError("high_risk", "只有企业可以标记为高危行业")
    if kind != UnitKind.DEPARTMENT and state.get("regulated_industry_codes"):
        raise FieldError("regulated_industry_codes", "只有部门可以指定监管的行业")
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


async def ensure_unique_name(
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


async def ensure_unique_credit_code(
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


async def refresh_townships(session: AsyncSession, root: Unit) -> None:
    """A unit moved to another township: so does everything under it."""
    frontier = [root]
    while frontier:
        unit = frontier.pop()
        children = await session.scalars(select(Unit).where(Unit.parent_id == unit.id))
        for child in children:
            if child.kind != UnitKind.TOWNSHIP:
                child.township_id = unit.township_id
                frontier.append(child)
