"""挂牌督办 endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from services.hazard_api.hazards.deps import HazardId, HazardTransitions
from services.hazard_api.hazards.kind import HAZARD
from services.hazard_api.hazards.schemas import HazardOut
from services.hazard_api.hazards.service import hazard_out
from services.hazard_api.hazards.states import Action
from services.hazard_api.listing import flows
from services.hazard_api.listing.models import ListingIn, PublishIn, RaiseIn

router = APIRouter(tags=["listing"])


@router.post("/hazards/{hazard_id}/listing", summary="挂牌督办")
async def list_hazard(hazard_id: HazardId, data: ListingIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, Action.LIST, flows.list_hazard(data))
    return hazard_out(h, tx.now)


@router.post("/hazards/{hazard_id}/listing/raise", summary="提级挂牌")
async def raise_listing(hazard_id: HazardId, data: RaiseIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, Action.RAISE_LISTING, flows.raise_listing(data))
    return hazard_out(h, tx.now)


@router.post("/hazards/{hazard_id}/listing/publish", summary="公布挂牌督办通知（挂牌单位）")
async def publish(hazard_id: HazardId, data: PublishIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, Action.PUBLISH_LISTING, flows.publish(data))
    return hazard_out(h, tx.now)
