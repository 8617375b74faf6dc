"""Hazard record and its own transitions: report, classify, plan, rectify, apply for acceptance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from services.hazard_api.acceptance.models import AcceptanceOut
from services.hazard_api.acceptance.service import rounds
from services.hazard_api.auth.deps import TokenClaims
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep, engine_of, sessionmaker_of
from services.hazard_api.evidence.models import AttachmentOut
from services.hazard_api.evidence.service import for_hazard
from services.hazard_api.extensions.flows import history
from services.hazard_api.extensions.models import ExtensionOut
from services.hazard_api.hazards import flows
from services.hazard_api.hazards.deps import HazardId, HazardReader, HazardWriter, intake_caller
from services.hazard_api.hazards.intake import report_in_one_statement
from services.hazard_api.hazards.models import TreatmentPlan
from services.hazard_api.hazards.schemas import (
    ClassifyIn,
    HazardIn,
    HazardOut,
    HazardPage,
    NoteIn,
    PlanIn,
    PlanOut,
    RectifiedIn,
)
from services.hazard_api.hazards.service import (
    HazardFilter,
    get_scoped,
    hazard_out,
    list_hazards,
)

router = APIRouter(tags=["hazards"])


class HazardDetail(BaseModel):
    hazard: HazardOut
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
    # The hot path (see hazards.intake): on PostgreSQL usually one statement on a pooled
    # connection, no session; the general path checks the users row with the unit look-up
    # (intake_caller) and writes in a transaction.
    now = clock.now()
    out = await report_in_one_statement(data, claims, engine=engine_of(request), now=now)
    if out is None:
        async with sessionmaker_of(request)() as session:
            user, unit = await intake_caller(claims, data.unit_id, session=session)
            h = await flows.report(data, unit, session=session, user=user, now=now)
            await session.commit()
        out = hazard_out(h, now)
    # Serialised here: the model is built from checked values, no second validation.
    return Response(out.model_dump_json(), status.HTTP_201_CREATED, media_type="application/json")


@router.get("/hazards", summary="隐患列表（按角色范围）")
async def list_(
    f: Annotated[HazardFilter, Query()], session: SessionDep, user: HazardReader, clock: ClockDep
) -> HazardPage:
    now = clock.now()
    rows, total = await list_hazards(session=session, user=user, f=f, now=now)
    return HazardPage(
        items=[hazard_out(h, now) for h in rows], total=total, page=f.page, page_size=f.page_size
    )


@router.get("/hazards/{hazard_id}", summary="隐患详情")
async def detail(
    hazard_id: HazardId, session: SessionDep, user: HazardReader, clock: ClockDep
) -> HazardDetail:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id)
    plan = await session.get(TreatmentPlan, h.id)
    return HazardDetail(
        hazard=hazard_out(h, clock.now()),
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
async def classify(
    hazard_id: HazardId,
    data: ClassifyIn,
    session: SessionDep,
    user: HazardWriter,
    clock: ClockDep,
    settings: SettingsDep,
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.classify(h, data, session=session, user=user, now=now, settings=settings)
    await session.commit()
    return hazard_out(h, now)


@router.put("/hazards/{hazard_id}/plan", summary="提交或修改重大隐患治理方案")
async def submit_plan(
    hazard_id: HazardId, data: PlanIn, session: SessionDep, user: HazardWriter, clock: ClockDep
) -> PlanOut:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    plan = await flows.submit_plan(h, data, session=session, user=user, now=clock.now())
    await session.commit()
    return PlanOut.model_validate(plan)


@router.post("/hazards/{hazard_id}/start-rectification", summary="开始整改")
async def start_rectification(
    hazard_id: HazardId, data: NoteIn, session: SessionDep, user: HazardWriter, clock: ClockDep
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.start_rectification(h, session=session, user=user, now=now, note=data.note)
    await session.commit()
    return hazard_out(h, now)


@router.post("/hazards/{hazard_id}/rectified-on-spot", summary="立查立改（一般隐患当场整改）")
async def rectified_on_spot(
    hazard_id: HazardId,
    data: RectifiedIn,
    session: SessionDep,
    user: HazardWriter,
    clock: ClockDep,
    settings: SettingsDep,
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.report_rectification(
        h, data, session=session, user=user, now=now, settings=settings, on_the_spot=True
    )
    await session.commit()
    return hazard_out(h, now)


@router.post("/hazards/{hazard_id}/rectification-report", summary="整改完成，申请验收")
async def report_rectification(
    hazard_id: HazardId,
    data: RectifiedIn,
    session: SessionDep,
    user: HazardWriter,
    clock: ClockDep,
    settings: SettingsDep,
) -> HazardOut:
    now = clock.now()
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id, lock=True)
    await flows.report_rectification(
        h, data, session=session, user=user, now=now, settings=settings
    )
    await session.commit()
    return hazard_out(h, now)
