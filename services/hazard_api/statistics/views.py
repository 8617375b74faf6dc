"""统计: what the 16号令 quarterly/yearly table needs, per unit in the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.hazards.deps import HazardReader
from services.hazard_api.statistics.service import StatisticsOut, statistics

router = APIRouter(tags=["statistics"])


@router.get("/statistics/hazards", summary="隐患排查治理统计（季度/年度）")
async def hazard_statistics(
    session: SessionDep,
    user: HazardReader,
    clock: ClockDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
) -> StatisticsOut:
    return await statistics(session=session, user=user, year=year, quarter=quarter, now=clock.now())
