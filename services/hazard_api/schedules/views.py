"""`PUT /calendar/{year}` (the county office loads a year's official holiday schedule) and
`GET /calendar/{year}` (what the services count working days on, and whether it is an
estimate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.hazard_api.auth.deps import CountyOffice, CurrentUser
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.hazards.deps import HazardId, HazardTransitions
from services.hazard_api.hazards.kind import HAZARD
from services.hazard_api.hazards.schemas import HazardOut
from services.hazard_api.hazards.service import get_scoped, hazard_out
from services.hazard_api.hazards.states import Action
from services.hazard_api.schedules.models import ScheduleIn, ScheduleOut
from services.hazard_api.schedules.recount import Unchanged, recount
from services.hazard_api.schedules.service import Loader, current, load, out
from shared.calendar import default_calendar

router = APIRouter(tags=["calendar"])

Year = Annotated[int, Path(ge=2000, le=2100, description="年份，如 2027")]


@router.put(
    "/calendar/{year}",
    summary="导入某年法定节假日安排（国务院办公厅通知，仅县安委办）",
    description=(
        "导入或更正某年的放假日期和调休上班日期。导入后各服务立即按此计算工作日；"
        "按预计安排计算的、仍在进行中的工作日整改期限重新计算，并在隐患时间线上记录调整前后的日期。"
    ),
)
async def put_schedule(
    year: Year,
    data: ScheduleIn,
    user: CountyOffice,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> ScheduleOut:
    by = Loader(user, "api", session, settings, clock)
    return await load(data, year=year, by=by)


@router.post(
    "/hazards/{hazard_id}/deadline/recount",
    summary="按现行法定节假日安排重新计算整改期限（仅县安委办）",
    description="导入放假安排时已自动重算；本接口用于逐项核对。期限不变时不作记录。",
)
async def recount_one(hazard_id: HazardId, tx: HazardTransitions) -> HazardOut:
    calendar = default_calendar()
    try:
        h, _ = await tx.apply(HAZARD, hazard_id, Action.RECOUNT_DEADLINE, recount(calendar, None))
    except Unchanged:
        await tx.ctx.session.rollback()
        h = await get_scoped(session=tx.ctx.session, user=tx.ctx.user, hazard_id=hazard_id)
    return hazard_out(h, tx.now)


@router.get("/calendar/{year}", summary="某年的放假安排及是否为预计")
async def get_schedule(year: Year, session: SessionDep, _user: CurrentUser) -> ScheduleOut:
    return out(await current(session, year), year, default_calendar())
