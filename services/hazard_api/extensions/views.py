"""延期 endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.hazard_api.deps import SessionDep
from services.hazard_api.extensions import flows
from services.hazard_api.extensions.models import DecisionIn, ExtensionIn, ExtensionOut
from services.hazard_api.extensions.service import history
from services.hazard_api.hazards.deps import HazardId, HazardReader, HazardTransitions
from services.hazard_api.hazards.kind import HAZARD
from services.hazard_api.hazards.service import get_scoped
from services.hazard_api.hazards.states import Action

router = APIRouter(tags=["extensions"])
ExtensionId = Annotated[str, Path(min_length=1, max_length=36)]


@router.post(
    "/hazards/{hazard_id}/extensions", status_code=status.HTTP_201_CREATED, summary="申请延期"
)
async def request_extension(
    hazard_id: HazardId, data: ExtensionIn, tx: HazardTransitions
) -> ExtensionOut:
    _, ext = await tx.apply(HAZARD, hazard_id, Action.REQUEST_EXTENSION, flows.request(data))
    return ExtensionOut.model_validate(ext)


@router.post("/hazards/{hazard_id}/extensions/{extension_id}/decision", summary="审批延期")
async def decide_extension(
    hazard_id: HazardId, extension_id: ExtensionId, data: DecisionIn, tx: HazardTransitions
) -> ExtensionOut:
    change = flows.decide(extension_id, data)
    _, ext = await tx.apply(HAZARD, hazard_id, Action.DECIDE_EXTENSION, change)
    return ExtensionOut.model_validate(ext)


@router.get("/hazards/{hazard_id}/extensions", summary="延期记录")
async def extension_history(
    hazard_id: HazardId, session: SessionDep, user: HazardReader
) -> list[ExtensionOut]:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id)
    return [ExtensionOut.model_validate(e) for e in await history(session=session, hazard_id=h.id)]
