"""County 复工复产 campaigns after a holiday: open, each enterprise's acceptance, the lists of
enterprises not yet accepted by township and department, reminders (催办), the end."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from sqlalchemy import or_, select

from services.hazard_api.accidents.deps import AccidentReader, AccidentTransitions
from services.hazard_api.auth.deps import TokenClaims
from services.hazard_api.auth.scope import in_scope
from services.hazard_api.campaigns import flows
from services.hazard_api.campaigns.kind import (
    CAMPAIGN,
    CAMPAIGN_OPENING,
    campaign_out,
    entry_out,
)
from services.hazard_api.campaigns.models import Campaign, CampaignEnterprise
from services.hazard_api.campaigns.orders import accepted_by_order, orders_of
from services.hazard_api.campaigns.pending import pending_out
from services.hazard_api.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    EntryOut,
    PendingOut,
    RemindIn,
)
from services.hazard_api.campaigns.states import ACCEPTED, Action
from services.hazard_api.deps import ClockDep, SessionDep
from services.hazard_api.errors import NotFound
from services.hazard_api.items.requests import create_from
from services.hazard_api.suspensions.schemas import AcceptanceIn

router = APIRouter(tags=["campaigns"])

CampaignId = Annotated[str, Path(min_length=1, max_length=36, description="复工复产验收ID")]
UnitId = Annotated[str, Path(min_length=1, max_length=36, description="企业ID")]


async def _get(session: SessionDep, campaign_id: str) -> Campaign:
    c = await session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(CAMPAIGN.not_found)
    return c


@router.post("/campaigns", status_code=status.HTTP_201_CREATED, summary="部署节后复工复产验收")
async def open_campaign(
    data: CampaignIn, claims: TokenClaims, clock: ClockDep, request: Request
) -> CampaignOut:
    return await create_from(
        request, CAMPAIGN, CAMPAIGN_OPENING, data, claims=claims, now=clock.now()
    )


@router.get("/campaigns", summary="复工复产验收（各次）")
async def list_(session: SessionDep, user: AccidentReader) -> list[CampaignOut]:
    rows = await session.scalars(select(Campaign).order_by(Campaign.opened_at.desc()).limit(100))
    return [await campaign_out(session, user, c) for c in rows]


@router.get("/campaigns/{campaign_id}", summary="复工复产验收详情")
async def detail(campaign_id: CampaignId, session: SessionDep, user: AccidentReader) -> CampaignOut:
    return await campaign_out(session, user, await _get(session, campaign_id))


@router.get("/campaigns/{campaign_id}/enterprises", summary="范围内企业及验收情况（按角色范围）")
async def enterprises(
    campaign_id: CampaignId,
    session: SessionDep,
    user: AccidentReader,
    status_: Annotated[
        str | None,
        Query(alias="status", pattern="^(pending|failed|accepted)$", description="验收状态"),
    ] = None,
) -> list[EntryOut]:
    c = await _get(session, campaign_id)
    query = select(CampaignEnterprise).where(
        CampaignEnterprise.campaign_id == c.id, in_scope(user, CampaignEnterprise.unit_id)
    )
    if status_ == ACCEPTED:  # by the campaign or by its 停产整顿 order (campaigns/orders.py)
        query = query.where(or_(CampaignEnterprise.status == ACCEPTED, accepted_by_order()))
    elif status_ is not None:
        query = query.where(CampaignEnterprise.status == status_, ~accepted_by_order())
    rows = list(await session.scalars(query.order_by(CampaignEnterprise.unit_id)))
    orders = await orders_of(session, c, [e.unit_id for e in rows])
    return [entry_out(e, orders.get(e.unit_id), for_user=(user, c)) for e in rows]


@router.get("/campaigns/{campaign_id}/pending", summary="未验收企业清单（按乡镇、按部门）")
async def pending(campaign_id: CampaignId, session: SessionDep, user: AccidentReader) -> PendingOut:
    c = await _get(session, campaign_id)
    return await pending_out(session, user, c.id)


@router.post(
    "/campaigns/{campaign_id}/enterprises/{unit_id}/acceptance", summary="企业复工复产验收"
)
async def decide_acceptance(
    campaign_id: CampaignId, unit_id: UnitId, data: AcceptanceIn, tx: AccidentTransitions
) -> EntryOut:
    change = flows.decide_acceptance(unit_id, data)
    c, _ = await tx.apply(CAMPAIGN, campaign_id, Action.DECIDE_ACCEPTANCE, change)
    entry = await tx.ctx.session.get(CampaignEnterprise, (campaign_id, unit_id))
    assert entry is not None  # the change found it
    return entry_out(entry, for_user=(tx.ctx.user, c))


@router.post("/campaigns/{campaign_id}/reminders", summary="催办未验收企业（按乡镇、按部门）")
async def remind(campaign_id: CampaignId, data: RemindIn, tx: AccidentTransitions) -> CampaignOut:
    c, _ = await tx.apply(CAMPAIGN, campaign_id, Action.REMIND, flows.remind(data))
    return await campaign_out(tx.ctx.session, tx.ctx.user, c)


@router.post("/campaigns/{campaign_id}/close", summary="结束复工复产验收（须全部验收合格）")
async def close(campaign_id: CampaignId, tx: AccidentTransitions) -> CampaignOut:
    c, _ = await tx.apply(CAMPAIGN, campaign_id, Action.CLOSE, flows.close())
    return await campaign_out(tx.ctx.session, tx.ctx.user, c)
