"""The 复工复产 campaign as a supervised item (audit chain, authority table) and its opening."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.campaigns import flows
from services.hazard_api.campaigns.models import Campaign, CampaignEnterprise
from services.hazard_api.campaigns.orders import (
    ACCEPTED_BY_ORDER_LABEL,
    UNDER_ORDER_LABEL,
    OpenOrder,
    accepted_by_order,
    under_open_order,
)
from services.hazard_api.campaigns.schemas import CampaignIn, CampaignOut, EntryOut
from services.hazard_api.campaigns.states import (
    ACCEPTED,
    AUTHORITY,
    ORIGIN,
    Action,
    allowed_actions,
)
from services.hazard_api.hazards.admission import admitted_caller
from services.hazard_api.items.kernel import Context, Creation, ItemKind, record_creation
from shared.accident_labels import CAMPAIGN_ENTRY_LABELS, CAMPAIGN_STATUS_LABELS
from shared.codes.industries import industry_label, industry_name
from shared.contract import ACCIDENT_EVENTS, CampaignEventType, Envelope

NOT_FOUND = "复工复产验收不存在"


def _scoped(_user: AuthUser, campaign_id: str) -> Select[Campaign]:
    # The campaign is county-wide; what a caller sees of it (its enterprises) is scoped.
    return select(Campaign).where(Campaign.id == campaign_id)


def snapshot(c: Campaign) -> dict[str, Any]:
    return {
        "status": c.status,
        "name": c.name,
        "industry_prefixes": c.industry_prefixes,
        "township_ids": c.township_ids,
        "reminders": len(c.reminders or []),
        "closed_at": c.closed_at.isoformat() if c.closed_at else None,
    }


def _no_kernel_event(
    c: Campaign, event: str, user: AuthUser, now: datetime, note: str | None
) -> Envelope:
    # Campaign changes send their own events (flows.emit: they carry counts and lists).
    raise RuntimeError("campaign changes emit their own events")  # pragma: no cover


CAMPAIGN: ItemKind[Campaign] = ItemKind(
    entity_type="campaign",
    authority=AUTHORITY,
    not_found=NOT_FOUND,
    scoped=_scoped,
    origin=lambda _c: ORIGIN,
    snapshot=snapshot,
    envelope=_no_kernel_event,
    topic=ACCIDENT_EVENTS,
)


def entry_out(
    e: CampaignEnterprise,
    order: OpenOrder | None = None,
    *,
    for_user: tuple[AuthUser, Campaign] | None = None,
) -> EntryOut:
    """The enterprise as answered: `order` the 停产整顿 order deciding its restart (shown as
    停产整顿中 while open, as accepted once its acceptance passed in the campaign); with
    `for_user`, the actions that caller may take on it in that campaign now."""
    out = EntryOut.model_validate(e)
    label = CAMPAIGN_ENTRY_LABELS[e.status]
    if order is not None and e.status != ACCEPTED:
        label = ACCEPTED_BY_ORDER_LABEL if order.resumed else UNDER_ORDER_LABEL
    update: dict[str, Any] = {
        "status_label": label,
        "industry_name": industry_name(e.industry_code) if e.industry_code else None,
    }
    if order is not None:
        update |= {
            "suspension_id": order.suspension_id,
            "suspension_order_no": order.order_no,
            "accepted_by_order": order.resumed,
        }
    if for_user is not None:
        user, c = for_user
        update["allowed_actions"] = allowed_actions(
            c.status, e.status, user.role, under_order=order is not None
        )
    return out.model_copy(update=update)


async def campaign_out(session: AsyncSession, user: AuthUser, c: Campaign) -> CampaignOut:
    """The campaign with the counts of the caller's own enterprises in it (accepted: by the
    campaign, or by their 停产整顿 order while it ran)."""
    rows = await session.execute(
        select(
            CampaignEnterprise.status,
            func.count(),
            func.count().filter(under_open_order()),
            func.count().filter(accepted_by_order()),
        )
        .where(CampaignEnterprise.campaign_id == c.id, in_scope(user, CampaignEnterprise.unit_id))
        .group_by(CampaignEnterprise.status)
    )
    total = accepted = under_order = 0
    for status, n, in_order, by_order in rows:
        total += n
        if status == ACCEPTED:
            accepted += n
        else:
            under_order += in_order
            accepted += by_order
    return CampaignOut(
        id=c.id,
        name=c.name,
        notice_no=c.notice_no,
        status=c.status,
        status_label=CAMPAIGN_STATUS_LABELS[c.status],
        industry_prefixes=c.industry_prefixes,
        industry_labels=[industry_label(p) for p in c.industry_prefixes],
        township_ids=c.township_ids,
        resume_by=c.resume_by,
        reminders=c.reminders,
        opened_at=c.opened_at,
        closed_at=c.closed_at,
        enterprises=total,
        accepted=accepted,
        under_order=under_order,
    )


async def _admit(
    data: CampaignIn, claims: Mapping[str, Any], session: AsyncSession
) -> tuple[AuthUser, None]:
    return await admitted_caller(claims, session), None


async def _write(data: CampaignIn, _target: None, ctx: Context) -> CampaignOut:
    c = await flows.new_campaign(data, ctx)
    record_creation(CAMPAIGN, c, CampaignEventType.OPENED.value, ctx)
    await flows.emit(ctx, c, CampaignEventType.OPENED)
    return await campaign_out(ctx.session, ctx.user, c)


CAMPAIGN_OPENING: Creation[CampaignIn, None, CampaignOut] = Creation(
    action=Action.OPEN, origin=lambda _d: ORIGIN, admit=_admit, write=_write, fast=None
)
