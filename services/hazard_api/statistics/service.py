"""16号令 quarterly/yearly hazard statistics per unit (database only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.service import RUNNING
from shared.clock import SHANGHAI
from shared.contract import HazardLevel, HazardStatus


class UnitStatistics(BaseModel):
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
    period_start: datetime
    period_end: datetime
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


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


async def statistics(
    *, session: AsyncSession, user: AuthUser, year: int, quarter: int | None, now: datetime
) -> StatisticsOut:
    start, end = period(year, quarter)
    done = Hazard.status.in_([HazardStatus.ACCEPTED.value, HazardStatus.CLOSED.value])
    general = Hazard.level == HazardLevel.GENERAL.value
    major = Hazard.level == HazardLevel.MAJOR.value
    query = (
        select(
            Hazard.unit_id,
            func.max(Hazard.unit_name).label("unit_name"),
            func.count().label("found"),
            _count(general).label("general"),
            _count(and_(general, done)).label("general_rectified"),
            _count(major).label("major"),
            _count(and_(major, done)).label("major_rectified"),
            _count(done).label("rectified"),
            _count(and_(Hazard.status.in_(RUNNING), Hazard.deadline_at < now)).label("overdue"),
            _count(Hazard.listing_level.is_not(None)).label("listed"),
            func.coalesce(func.sum(Hazard.funds_spent), 0).label("funds_spent"),
        )
        .where(
            in_scope(user, Hazard.unit_id),
            Hazard.found_at >= start,
            Hazard.found_at < end,
            # 作废: a duplicate or mistaken report was never a hazard found.
            Hazard.status != HazardStatus.VOIDED.value,
        )
        .group_by(Hazard.unit_id)
        .order_by(Hazard.unit_id)
    )
    rows = (await session.execute(query)).all()
    units = [_stats(r.unit_id, r.unit_name, r._mapping) for r in rows]
    keys = (
        "found",
        "general",
        "general_rectified",
        "major",
        "major_rectified",
        "rectified",
        "overdue",
        "listed",
        "funds_spent",
    )
    totals = {k: sum(int(getattr(u, k)) for u in units) for k in keys}
    return StatisticsOut(
        year=year,
        quarter=quarter,
        period_start=start,
        period_end=end,
        units=units,
        total=_stats(None, "合计", totals),
    )


def _stats(unit_id: str | None, name: str, m: Mapping[Any, Any]) -> UnitStatistics:
    get = m.__getitem__
    found, rectified = int(get("found")), int(get("rectified"))
    return UnitStatistics(
        unit_id=unit_id,
        unit_name=name,
        found=found,
        general=int(get("general")),
        general_rectified=int(get("general_rectified")),
        major=int(get("major")),
        major_rectified=int(get("major_rectified")),
        rectified=rectified,
        rectification_rate=round(rectified / found, 4) if found else 0.0,
        overdue=int(get("overdue")),
        listed=int(get("listed")),
        funds_spent=int(get("funds_spent")),
    )
