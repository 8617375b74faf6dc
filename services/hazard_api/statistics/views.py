"""统计: the 16号令 quarterly/yearly table in the caller's scope, as of the period's end."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.hazards.deps import HazardReader
from services.hazard_api.statistics.export import as_csv, as_xlsx
from services.hazard_api.statistics.service import GroupBy, StatisticsOut, statistics

router = APIRouter(tags=["statistics"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/statistics/hazards",
    summary="隐患排查治理统计（季度/年度，截至期末）",
    response_model=StatisticsOut,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def hazard_statistics(
    session: SessionDep,
    user: HazardReader,
    clock: ClockDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    group_by: Annotated[GroupBy, Query(description="汇总口径")] = GroupBy.UNIT,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="输出格式")] = "json",
) -> StatisticsOut | Response:
    stats = await statistics(
        session=session,
        user=user,
        year=year,
        quarter=quarter,
        now=clock.now(),
        group_by=group_by,
    )
    if format == "json":
        return stats
    name = f"隐患统计-{year}" + (f"-Q{quarter}" if quarter else "") + f".{format}"
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    body, media = (
        (as_csv(stats), "text/csv; charset=utf-8")
        if format == "csv"
        else (
            as_xlsx(stats),
            XLSX,
        )
    )
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
