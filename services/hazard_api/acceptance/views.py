"""验收 and 销号 endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from services.hazard_api.acceptance import flows
from services.hazard_api.acceptance.models import AcceptanceOut, CloseIn, VerdictIn
from services.hazard_api.hazards.deps import HazardId, HazardTransitions
from services.hazard_api.hazards.kind import HAZARD
from services.hazard_api.hazards.schemas import HazardOut
from services.hazard_api.hazards.service import hazard_out
from services.hazard_api.hazards.states import Action

router = APIRouter(tags=["acceptance"])


@router.post("/hazards/{hazard_id}/acceptance", summary="验收（不得由整改申请人验收）")
async def decide(hazard_id: HazardId, data: VerdictIn, tx: HazardTransitions) -> AcceptanceOut:
    _, acceptance = await tx.apply(HAZARD, hazard_id, Action.DECIDE_ACCEPTANCE, flows.decide(data))
    return AcceptanceOut.model_validate(acceptance)


@router.post("/hazards/{hazard_id}/close", summary="销号（挂牌隐患：摘牌销号）")
async def close(hazard_id: HazardId, data: CloseIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, Action.CLOSE, flows.close(data))
    return hazard_out(h, tx.now)
