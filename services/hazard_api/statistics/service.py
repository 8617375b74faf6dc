"""16号令 quarterly/yearly hazard statistics, as they stood at the period's end.

Figures are taken at the end of the period (or now, for a period still running): see `asof`.
They roll up by unit (default), township, department, industry (GB/T 4754 division) or level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.models import Unit
from services.hazard_api.statistics.asof import HazardAsOf, hazards_as_of
from shared.clock import SHANGHAI
from shared.codes.industries import industry_name
from shared.contract import HazardLevel
from shared.labels import HAZARD_LEVEL_LABELS


class GroupBy(StrEnum):
    UNIT = "unit"
    TOWNSHIP = "township"
    DEPARTMENT = "department"
    INDUSTRY = "industry"
    LEVEL = "level"


GROUP_LABELS = {
    GroupBy.UNIT: "单位",
    GroupBy.TOWNSHIP: "乡镇（街道）",
    GroupBy.DEPARTMENT: "行业监管部门",
    GroupBy.INDUSTRY: "行业",
    GroupBy.LEVEL: "隐患等级",
}


class UnitStatistics(BaseModel):
    # The group's key: a unit, township or department id, an industry division (C26) or a level.
    unit_id: str | None
    unit_name: str
    found: int  # 排查隐患数
    general: int  # 一般事故隐患
    general_rectified: int
    major: int  # 重大事故隐患
    major_rectified: int
    rectified: int  # 已整改（验收通过或销号）
    rectification_rate: float  # 整改率
    overdue: int  # 逾期未整改
    listed: int  # 挂牌督办
    funds_spent: int  # 治理资金（元）


class StatisticsOut(BaseModel):
    year: int
    quarter: int | None
    group_by: GroupBy
    period_start: datetime
    period_end: datetime
    # The moment the figures stand at: the period's end, or now while the period runs.
    as_of: datetime
    units: list[UnitStatistics]
    total: UnitStatistics


def period(year: int, quarter: int | None) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a Shanghai calendar quarter or year."""
    first_month = 1 if quarter is None else 3 * (quarter - 1) + 1
    start = datetime(year, first_month, 1, tzinfo=SHANGHAI)
    if quarter is None or quarter == 4:
        end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    else:
        end = datetime(year, first_month + 3, 1, tzinfo=SHANGHAI)
    return start.astimezone(UTC), end.astimezone(UTC)


def _keys(group_by: GroupBy) -> Callable[[HazardAsOf], Iterable[str | None]]:
    """The groups one hazard counts in (a hazard counts for each of its departments)."""
    if group_by is GroupBy.TOWNSHIP:
        return lambda h: [h.township_id]
    if group_by is GroupBy.DEPARTMENT:
        return lambda h: h.department_ids or [None]
    if group_by is GroupBy.INDUSTRY:
        return lambda h: [h.industry_code[:3] if h.industry_code else None]
    if group_by is GroupBy.LEVEL:
        return lambda h: [h.level]
    return lambda h: [h.unit_id]


async def _names(
    session: AsyncSession, group_by: GroupBy, hazards: list[HazardAsOf]
) -> dict[str, str]:
    if group_by is GroupBy.UNIT:
        return {h.unit_id: h.unit_name for h in hazards}
    if group_by is GroupBy.INDUSTRY:
        return {
            h.industry_code[:3]: industry_name(h.industry_code[:3]) or h.industry_code[:3]
            for h in hazards
            if h.industry_code
        }
    if group_by is GroupBy.LEVEL:
        return {level: name for level, name in HAZARD_LEVEL_LABELS.items()}
    ids = {k for h in hazards for k in _keys(group_by)(h) if k}
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))
    return {r.id: r.name for r in rows}


def _row(key: str | None, name: str, hazards: list[HazardAsOf], at: datetime) -> UnitStatistics:
    general = [h for h in hazards if h.level == HazardLevel.GENERAL.value]
    major = [h for h in hazards if h.level == HazardLevel.MAJOR.value]
    rectified = sum(h.rectified() for h in hazards)
    return UnitStatistics(
        unit_id=key,
        unit_name=name,
        found=len(hazards),
        general=len(general),
        general_rectified=sum(h.rectified() for h in general),
        major=len(major),
        major_rectified=sum(h.rectified() for h in major),
        rectified=rectified,
        rectification_rate=round(rectified / len(hazards), 4) if hazards else 0.0,
        overdue=sum(h.overdue(at) for h in hazards),
        listed=sum(h.listed for h in hazards),
        funds_spent=sum(h.funds_spent for h in hazards),
    )


async def statistics(
    *,
    session: AsyncSession,
    user: AuthUser,
    year: int,
    quarter: int | None,
    now: datetime,
    group_by: GroupBy = GroupBy.UNIT,
) -> StatisticsOut:
    start, end = period(year, quarter)
    at = min(end, now)
    # Changes made at `now` itself belong to a period still running.
    before = end if now >= end else now + timedelta(microseconds=1)
    hazards = await hazards_as_of(session, user=user, start=start, end=end, at=before)
    groups: dict[str | None, list[HazardAsOf]] = defaultdict(list)
    keys = _keys(group_by)
    for h in hazards:
        for key in keys(h):
            groups[key].append(h)
    names = await _names(session, group_by, hazards)
    units = [
        _row(key, names.get(key, key) if key else "未指定", groups[key], at)
        for key in sorted(groups, key=lambda k: (k is None, k or ""))
    ]
    return StatisticsOut(
        year=year,
        quarter=quarter,
        group_by=group_by,
        period_start=start,
        period_end=end,
        as_of=at,
        units=units,
        total=_row(None, "合计", hazards, at),
    )
