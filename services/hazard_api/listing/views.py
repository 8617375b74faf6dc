"""挂牌督办 endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.hazard_api.auth.deps import require_scopes
from services.hazard_api.auth.models import Scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.hazards.deps import HazardId, HazardTransitions
from services.hazard_api.hazards.kind import HAZARD
from services.hazard_api.hazards.schemas import HazardOut
from services.hazard_api.hazards.service import get_scoped, hazard_out
from services.hazard_api.hazards.states import Action
from services.hazard_api.items.kernel import Context, Transitions
from services.hazard_api.listing import external, flows
from services.hazard_api.listing.external import ExternalListingIn
from services.hazard_api.listing.models import ListingIn, PublishIn, RaiseIn

router = APIRouter(tags=["listing"])

# People pass to the authority table (which refuses them in its own words); an integration
# client needs `listing:external`, the reporting link's scope.
ExternalRelay = Annotated[AuthUser, Depends(require_scopes(Scope.LISTING_EXTERNAL.value))]


async def external_transitions(
    session: SessionDep, user: ExternalRelay, clock: ClockDep, settings: SettingsDep
) -> Transitions:
    return Transitions(Context(session, user, clock.now(), settings))


ExternalListingTransitions = Annotated[Transitions, Depends(external_transitions)]


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


@router.post(
    "/hazards/{hazard_id}/listing/external",
    summary="执行市/省挂牌督办决定（报送通道，需 listing:external）",
)
async def apply_external(
    hazard_id: HazardId, data: ExternalListingIn, tx: ExternalListingTransitions
) -> HazardOut:
    try:
        h, _ = await tx.apply(
            HAZARD, hazard_id, Action.APPLY_EXTERNAL_LISTING, external.apply_external(data)
        )
    except external.AlreadyApplied:
        # Delivered again: the hazard as the first delivery left it.
        await tx.ctx.session.rollback()
        h = await get_scoped(session=tx.ctx.session, user=tx.ctx.user, hazard_id=hazard_id)
    return hazard_out(h, tx.now)
