"""挂牌督办 endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.hazards.deps import HazardId, HazardWriter
from services.hazard_api.hazards.schemas import HazardOut
from services.hazard_api.hazards.service import get_scoped, hazard_out
from services.hazard_api.listing import flows
from services.hazard_api.listing.models import ListingIn, PublishIn, RaiseIn

router = APIRouter(tags=["listing"])


@router.post("/hazards/{hazard_id}/listing", summary="挂牌督办")
async def list_hazard(
    hazard_id: HazardId,
    data: ListingIn,
    session: SessionDep,
    user: HazardWriter,
    clock: ClockDep,
    settings: SettingsDep,
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.list_hazard(h, data, session=session, user=user, now=now, settings=settings)
    await session.commit()
    return hazard_out(h, now)


@router.post("/hazards/{hazard_id}/listing/raise", summary="提级挂牌")
async def raise_listing(
    hazard_id: HazardId, data: RaiseIn, session: SessionDep, user: HazardWriter, clock: ClockDep
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.raise_listing(h, data, session=session, user=user, now=now)
    await session.commit()
    return hazard_out(h, now)


@router.post("/hazards/{hazard_id}/listing/publish", summary="公开挂牌督办信息")
async def publish(
    hazard_id: HazardId, data: PublishIn, session: SessionDep, user: HazardWriter, clock: ClockDep
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.publish(h, data, session=session, user=user, now=now)
    await session.commit()
    return hazard_out(h, now)
