"""验收 and 销号 endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from services.hazard_api.acceptance import flows
from services.hazard_api.acceptance.models import AcceptanceOut, CloseIn, VerdictIn
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.hazards.deps import HazardId, HazardWriter
from services.hazard_api.hazards.schemas import HazardOut
from services.hazard_api.hazards.service import get_scoped, hazard_out

router = APIRouter(tags=["acceptance"])


@router.post("/hazards/{hazard_id}/acceptance", summary="验收（不得由整改申请人验收）")
async def decide(
    hazard_id: HazardId,
    data: VerdictIn,
    session: SessionDep,
    user: HazardWriter,
    clock: ClockDep,
    settings: SettingsDep,
) -> AcceptanceOut:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    acceptance = await flows.decide(
        h, data, session=session, user=user, now=clock.now(), settings=settings
    )
    await session.commit()
    return AcceptanceOut.model_validate(acceptance)


@router.post("/hazards/{hazard_id}/close", summary="销号（挂牌隐患：摘牌销号）")
async def close(
    hazard_id: HazardId, data: CloseIn, session: SessionDep, user: HazardWriter, clock: ClockDep
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.close(h, data, session=session, user=user, now=now)
    await session.commit()
    return hazard_out(h, now)
