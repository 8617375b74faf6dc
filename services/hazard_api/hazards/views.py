"""Hazard record and its own transitions: report, classify, propose, reclassify, void, plan,
rectify, apply for acceptance. Each view parses, calls the transition kernel and serialises."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from services.hazard_api.acceptance.models import AcceptanceOut
from services.hazard_api.acceptance.service import is_rectifier, rounds
from services.hazard_api.auth.deps import TokenClaims
from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.evidence.models import AttachmentOut
from services.hazard_api.evidence.service import for_hazard
from services.hazard_api.extensions.models import ExtensionOut
from services.hazard_api.extensions.service import history
from services.hazard_api.hazards import flows
from services.hazard_api.hazards.deps import HazardId, HazardReader, HazardTransitions
from services.hazard_api.hazards.kind import HAZARD, HAZARD_INTAKE
from services.hazard_api.hazards.models import TreatmentPlan
from services.hazard_api.hazards.queues import QueueCounts, queue_counts
from services.hazard_api.hazards.schemas import (
    ClassifyIn,
    HazardIn,
    HazardOut,
    HazardPage,
    NoteIn,
    PlanIn,
    PlanOut,
    ProposalIn,
    ReclassifyIn,
    RectifiedIn,
    VoidIn,
)
from services.hazard_api.hazards.service import (
    HazardFilter,
    get_scoped,
    hazard_out,
    list_hazards,
)
from services.hazard_api.hazards.states import AUTHORITY, Action, origin_of
from services.hazard_api.items.requests import create_from

router = APIRouter(tags=["hazards"])


class HazardDetail(BaseModel):
    hazard: HazardOut
    # What the caller may do now (from the authority table, 中文 labels keyed by action); the
    # kernel still guards each request.
    allowed_actions: dict[str, str] = {}
    plan: PlanOut | None
    extensions: list[ExtensionOut]
    acceptances: list[AcceptanceOut]
    attachments: list[AttachmentOut]


@router.post(
    "/hazards", status_code=status.HTTP_201_CREATED, response_model=HazardOut, summary="登记隐患"
)
async def report_hazard(
    data: HazardIn, claims: TokenClaims, clock: ClockDep, request: Request
) -> Response:
    # The hot path (see hazards.intake): the kernel's create usually writes in one statement on
    # a pooled connection, no session.
    out = await create_from(request, HAZARD, HAZARD_INTAKE, data, claims=claims, now=clock.now())
    # Serialised here: the model is built from checked values, no second validation.
    return Response(out.model_dump_json(), status.HTTP_201_CREATED, media_type="application/json")


@router.get("/hazards", summary="隐患列表（按角色范围）")
async def list_(
    f: Annotated[HazardFilter, Query()], session: SessionDep, user: HazardReader, clock: ClockDep
) -> HazardPage:
    now = clock.now()
    rows, total, exact = await list_hazards(session=session, user=user, f=f, now=now)
    return HazardPage(
        items=[hazard_out(h, now) for h in rows],
        total=total,
        total_exact=exact,
        page=f.page,
        page_size=f.page_size,
    )


@router.get(
    "/hazards/counts",
    summary="工作台计数（待判定、整改中、即将到期、已逾期、挂牌督办、待验收、待审批延期）",
    description=(
        "每项附带 `query`：以相同参数调用 `GET /hazards` 得到的 `total` 与该计数相等"
        "（超过 2000 条时列表的 total 只计到 2000，total_exact 为 false）。"
    ),
)
async def counts(session: SessionDep, user: HazardReader, clock: ClockDep) -> QueueCounts:
    return await queue_counts(session=session, user=user, now=clock.now())


@router.get("/hazards/{hazard_id}", summary="隐患详情")
async def detail(
    hazard_id: HazardId, session: SessionDep, user: HazardReader, clock: ClockDep
) -> HazardDetail:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id)
    plan = await session.get(TreatmentPlan, h.id)
    origin = origin_of(source=h.source, listing_level=h.listing_level)
    allowed = AUTHORITY.allowed(status=h.status, origin=origin, role=user.role)
    if is_rectifier(h, user):  # the kernel refuses it (403): not offered either
        allowed = [a for a in allowed if a != Action.DECIDE_ACCEPTANCE]
    return HazardDetail(
        hazard=hazard_out(h, clock.now()),
        allowed_actions={a: AUTHORITY.rules[a].label for a in allowed},
        plan=PlanOut.model_validate(plan) if plan else None,
        extensions=[
            ExtensionOut.model_validate(e) for e in await history(session=session, hazard_id=h.id)
        ],
        acceptances=[
            AcceptanceOut.model_validate(a) for a in await rounds(session=session, hazard_id=h.id)
        ],
        attachments=[
            AttachmentOut.model_validate(a)
            for a in await for_hazard(session=session, hazard_id=h.id)
        ],
    )


@router.post("/hazards/{hazard_id}/classify", summary="判定隐患等级")
async def classify(hazard_id: HazardId, data: ClassifyIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, flows.classify_action(data), flows.classify(data))
    return hazard_out(h, tx.now)


@router.post("/hazards/{hazard_id}/propose-major", summary="提出重大事故隐患判定建议（企业）")
async def propose_major(hazard_id: HazardId, data: ProposalIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, Action.PROPOSE_MAJOR, flows.propose_major(data))
    return hazard_out(h, tx.now)


@router.post("/hazards/{hazard_id}/reclassify", summary="改判隐患等级（一般 ↔ 重大）")
async def reclassify(hazard_id: HazardId, data: ReclassifyIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, Action.RECLASSIFY, flows.reclassify(data))
    return hazard_out(h, tx.now)


@router.post("/hazards/{hazard_id}/void", summary="作废（重复或误报）")
async def void(hazard_id: HazardId, data: VoidIn, tx: HazardTransitions) -> HazardOut:
    h, _ = await tx.apply(HAZARD, hazard_id, Action.VOID, flows.void(data))
    return hazard_out(h, tx.now)


@router.put("/hazards/{hazard_id}/plan", summary="提交或修改重大隐患治理方案")
async def submit_plan(hazard_id: HazardId, data: PlanIn, tx: HazardTransitions) -> PlanOut:
    _, plan = await tx.apply(HAZARD, hazard_id, Action.SUBMIT_PLAN, flows.submit_plan(data))
    return PlanOut.model_validate(plan)


@router.post("/hazards/{hazard_id}/start-rectification", summary="开始整改")
async def start_rectification(
    hazard_id: HazardId, data: NoteIn, tx: HazardTransitions
) -> HazardOut:
    change = flows.start_rectification(data.note)
    h, _ = await tx.apply(HAZARD, hazard_id, Action.START_RECTIFICATION, change)
    return hazard_out(h, tx.now)


@router.post("/hazards/{hazard_id}/rectified-on-spot", summary="立查立改（一般隐患当场整改）")
async def rectified_on_spot(
    hazard_id: HazardId, data: RectifiedIn, tx: HazardTransitions
) -> HazardOut:
    change = flows.report_rectification(data, on_the_spot=True)
    h, _ = await tx.apply(HAZARD, hazard_id, Action.RECTIFY_ON_SPOT, change)
    return hazard_out(h, tx.now)


@router.post("/hazards/{hazard_id}/rectification-report", summary="整改完成，申请验收")
async def report_rectification(
    hazard_id: HazardId, data: RectifiedIn, tx: HazardTransitions
) -> HazardOut:
    change = flows.report_rectification(data)
    h, _ = await tx.apply(HAZARD, hazard_id, Action.REPORT_RECTIFICATION, change)
    return hazard_out(h, tx.now)
