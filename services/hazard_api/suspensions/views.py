"""停产停业整顿 and 复工复产验收: order, application, township review, acceptance, resumption."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from sqlalchemy import select

from services.hazard_api.accidents.deps import AccidentReader, AccidentTransitions
from services.hazard_api.auth.deps import TokenClaims
from services.hazard_api.auth.scope import in_scope
from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.errors import NotFound
from services.hazard_api.items.requests import create_from
from services.hazard_api.suspensions import flows
from services.hazard_api.suspensions.kind import (
    NOT_FOUND,
    SUSPENSION,
    SUSPENSION_ORDER,
    suspension_out,
)
from services.hazard_api.suspensions.models import Suspension
from services.hazard_api.suspensions.schemas import (
    AcceptanceIn,
    ApplicationIn,
    OrderIn,
    ReviewIn,
    SuspensionOut,
)
from services.hazard_api.suspensions.states import Action

router = APIRouter(tags=["suspensions"])

SuspensionId = Annotated[str, Path(min_length=1, max_length=36, description="停产整顿ID")]


@router.post("/suspensions", status_code=status.HTTP_201_CREATED, summary="责令停产停业整顿")
async def order(
    data: OrderIn, claims: TokenClaims, clock: ClockDep, request: Request
) -> SuspensionOut:
    return await create_from(
        request, SUSPENSION, SUSPENSION_ORDER, data, claims=claims, now=clock.now()
    )


@router.get("/suspensions", summary="停产整顿企业（按角色范围）")
async def list_(session: SessionDep, user: AccidentReader) -> list[SuspensionOut]:
    rows = await session.scalars(
        select(Suspension)
        .where(in_scope(user, Suspension.unit_id))
        .order_by(Suspension.ordered_at.desc())
        .limit(500)
    )
    return [suspension_out(s, user) for s in rows]


@router.get("/suspensions/{suspension_id}", summary="停产整顿详情（含复工复产验收记录）")
async def detail(
    suspension_id: SuspensionId, session: SessionDep, user: AccidentReader
) -> SuspensionOut:
    s = await session.scalar(
        select(Suspension).where(Suspension.id == suspension_id, in_scope(user, Suspension.unit_id))
    )
    if s is None:
        raise NotFound(NOT_FOUND)
    return suspension_out(s, user)


@router.post("/suspensions/{suspension_id}/application", summary="申请复工复产")
async def apply(
    suspension_id: SuspensionId, data: ApplicationIn, tx: AccidentTransitions
) -> SuspensionOut:
    s, _ = await tx.apply(SUSPENSION, suspension_id, Action.APPLY, flows.apply(data))
    return suspension_out(s, tx.ctx.user)


@router.post("/suspensions/{suspension_id}/review", summary="乡镇（街道）审核")
async def review(
    suspension_id: SuspensionId, data: ReviewIn, tx: AccidentTransitions
) -> SuspensionOut:
    s, _ = await tx.apply(SUSPENSION, suspension_id, Action.REVIEW, flows.review(data))
    return suspension_out(s, tx.ctx.user)


@router.post("/suspensions/{suspension_id}/acceptance", summary="复工复产验收")
async def decide_acceptance(
    suspension_id: SuspensionId, data: AcceptanceIn, tx: AccidentTransitions
) -> SuspensionOut:
    change = flows.decide_acceptance(data)
    s, _ = await tx.apply(SUSPENSION, suspension_id, Action.DECIDE_ACCEPTANCE, change)
    return suspension_out(s, tx.ctx.user)


@router.post("/suspensions/{suspension_id}/resume", summary="恢复生产（须验收合格）")
async def resume(suspension_id: SuspensionId, tx: AccidentTransitions) -> SuspensionOut:
    s, _ = await tx.apply(SUSPENSION, suspension_id, Action.RESUME, flows.resume())
    return suspension_out(s, tx.ctx.user)
