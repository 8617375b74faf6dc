"""复工复产 campaign changes: opening it fixes the enterprises in scope; each one's acceptance
reuses the 停产整顿 acceptance round; a reminder point sends the lists not yet accepted, by
township and by department, for escalation to chase; the campaign ends once all passed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.campaigns.models import Campaign, CampaignEnterprise
from services.hazard_api.campaigns.orders import (
    accepted_by_order,
    left_to_order,
    orders_of,
    refusal,
)
from services.hazard_api.campaigns.schemas import CampaignIn, RemindIn
from services.hazard_api.campaigns.states import ACCEPTED, FAILED, PENDING
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.links import links_of
from services.hazard_api.directory.models import RegulatedIndustry, Unit
from services.hazard_api.errors import Conflict, FieldError, NotFound
from services.hazard_api.items.kernel import Change, Context, Outcome
from services.hazard_api.suspensions.acceptance import acceptance_round
from services.hazard_api.suspensions.schemas import AcceptanceIn
from shared.contract import (
    ACCIDENT_EVENTS,
    CampaignEvent,
    CampaignEventType,
    CampaignFacts,
    CampaignStatus,
    EnterpriseStatus,
    Envelope,
    Producer,
    UnitKind,
)
from shared.outbox import add_event

Ev = CampaignEventType
NOT_IN_CAMPAIGN = "该企业不在本次复工复产验收范围内，或不在您的管辖范围内"


async def _departments_by_industry(ctx: Context) -> list[tuple[str, str]]:
    rows = await ctx.session.execute(
        select(RegulatedIndustry.department_id, RegulatedIndustry.industry_code)
    )
    return [(d, code) for d, code in rows]


async def new_campaign(data: CampaignIn, ctx: Context) -> Campaign:
    """The campaign and its enterprises: every operating or suspended enterprise whose
    industry starts with one of the prefixes, in the townships named (all when none)."""
    towns = set(data.township_ids)
    if towns:
        known = set(
            await ctx.session.scalars(
                select(Unit.id).where(Unit.id.in_(towns), Unit.kind == UnitKind.TOWNSHIP.value)
            )
        )
        if unknown := sorted(towns - known):
            raise FieldError("township_ids", "乡镇（街道）不存在：" + "、".join(unknown))
    query = select(Unit).where(
        Unit.kind == UnitKind.ENTERPRISE.value,
        or_(*(Unit.industry_code.startswith(p, autoescape=True) for p in data.industry_prefixes)),
        or_(Unit.status.is_(None), Unit.status != EnterpriseStatus.CLOSED.value),
    )
    if towns:
        query = query.where(Unit.township_id.in_(towns))
    units = list(await ctx.session.scalars(query.order_by(Unit.id)))
    if not units:
        raise FieldError("industry_prefixes", "所选行业和乡镇（街道）内没有企业")
    c = Campaign(
        id=str(uuid.uuid4()),
        name=data.name,
        notice_no=data.notice_no,
        status=CampaignStatus.OPEN.value,
        industry_prefixes=list(data.industry_prefixes),
        township_ids=sorted(towns),
        resume_by=data.resume_by,
        reminders=[],
        opened_at=ctx.now,
        opened_by_user_id=ctx.user.id,
        audit_seq=0,
        audit_head="",
        updated_at=ctx.now,
    )
    ctx.session.add(c)
    links = await links_of(ctx.session, [u.id for u in units])
    regulators = await _departments_by_industry(ctx)
    for u in units:
        by_industry = [d for d, code in regulators if (u.industry_code or "").startswith(code)]
        ctx.session.add(
            CampaignEnterprise(
                campaign_id=c.id,
                unit_id=u.id,
                unit_name=u.name,
                industry_code=u.industry_code,
                township_id=u.township_id,
                department_ids=sorted({*links[u.id].departments, *by_industry}),
                status=PENDING,
                acceptances=[],
                updated_at=ctx.now,
            )
        )
    await ctx.session.flush()
    return c


async def awaiting(ctx: Context, campaign_id: str) -> int:
    """The enterprises the campaign still has to accept: not accepted, not left to a 停产整顿
    order (that order decides their restart: campaigns/orders.py)."""
    n = await ctx.session.scalar(
        select(func.count()).where(
            CampaignEnterprise.campaign_id == campaign_id,
            CampaignEnterprise.status != ACCEPTED,
            ~left_to_order(),
        )
    )
    return n or 0


async def counts(ctx: Context, campaign_id: str) -> tuple[int, int]:
    """(enterprises, accepted) of the whole campaign; accepted by the campaign or, while it
    ran, by their 停产整顿 order's acceptance."""
    accepted = or_(CampaignEnterprise.status == ACCEPTED, accepted_by_order())
    total, done = (
        await ctx.session.execute(
            select(func.count(), func.count().filter(accepted)).where(
                CampaignEnterprise.campaign_id == campaign_id
            )
        )
    ).one()
    return total, done


async def emit(
    ctx: Context, c: Campaign, event: CampaignEventType, note: str | None = None, **extra: Any
) -> None:
    """The campaign's event, with its counts (and the enterprise or the lists it is about)."""
    total, accepted = await counts(ctx, c.id)
    facts = CampaignFacts(
        campaign_id=c.id,
        name=c.name,
        status=CampaignStatus(c.status),
        industry_prefixes=c.industry_prefixes,
        township_ids=c.township_ids,
        resume_by=c.resume_by,
        enterprises=total,
        accepted=accepted,
        actor_person_id=ctx.user.person_id,
        notice_no=c.notice_no,
    )
    payload = CampaignEvent(event=event, facts=facts, note=note, **extra)
    envelope = Envelope.of(
        payload, aggregate_id=c.id, producer=Producer.HAZARD_API, occurred_at=ctx.now
    )
    await add_event(ctx.session, outbox_tables.outbox, envelope, ACCIDENT_EVENTS, now=ctx.now)


def decide_acceptance(unit_id: str, data: AcceptanceIn) -> Change[Campaign, None]:
    async def change(c: Campaign, ctx: Context) -> Outcome[None]:
        entry = await ctx.session.scalar(
            select(CampaignEnterprise)
            .where(
                CampaignEnterprise.campaign_id == c.id,
                CampaignEnterprise.unit_id == unit_id,
                in_scope(ctx.user, CampaignEnterprise.unit_id),
            )
            .with_for_update()
        )
        if entry is None:
            raise NotFound(NOT_IN_CAMPAIGN)
        if entry.status == ACCEPTED:
            raise Conflict(f"{entry.unit_name}已通过复工复产验收")
        if order := (await orders_of(ctx.session, c, [unit_id])).get(unit_id):
            raise Conflict(refusal(entry.unit_name, order))
        entry.acceptances = [*entry.acceptances, acceptance_round(data, ctx)]
        entry.status, entry.updated_at = (ACCEPTED if data.passed else FAILED), ctx.now
        if data.passed:
            entry.accepted_at = ctx.now
        await ctx.session.flush()
        event = Ev.ACCEPTED if data.passed else Ev.ACCEPTANCE_FAILED
        await emit(ctx, c, event, data.note, unit_id=unit_id)
        return Outcome(None, audit_action=event.value, extra={"unit_id": unit_id})

    return change


async def pending_lists(
    ctx: Context, campaign_id: str
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The enterprises not yet accepted (nor left to a 停产整顿 order, which has its own steps
    to chase): township → ids, department → ids."""
    rows = await ctx.session.execute(
        select(
            CampaignEnterprise.unit_id,
            CampaignEnterprise.township_id,
            CampaignEnterprise.department_ids,
        )
        .where(CampaignEnterprise.campaign_id == campaign_id)
        .where(CampaignEnterprise.status != ACCEPTED, ~left_to_order())
        .order_by(CampaignEnterprise.unit_id)
    )
    towns: dict[str, list[str]] = defaultdict(list)
    departments: dict[str, list[str]] = defaultdict(list)
    for unit_id, township_id, department_ids in rows:
        if township_id:
            towns[township_id].append(unit_id)
        for d in department_ids:
            departments[d].append(unit_id)
    return dict(towns), dict(departments)


def remind(data: RemindIn) -> Change[Campaign, None]:
    async def change(c: Campaign, ctx: Context) -> Outcome[None]:
        towns, departments = await pending_lists(ctx, c.id)
        if not towns and not departments:
            raise Conflict("范围内没有尚待本次复工复产验收的企业，无需催办")
        c.reminders = [*c.reminders, ctx.now.isoformat()]
        await emit(
            ctx,
            c,
            Ev.REMINDED,
            data.note,
            pending_by_township=towns,
            pending_by_department=departments,
        )
        pending = {u for ids in (*towns.values(), *departments.values()) for u in ids}
        return Outcome(None, audit_action=Ev.REMINDED.value, extra={"pending": len(pending)})

    return change


def close() -> Change[Campaign, None]:
    async def change(c: Campaign, ctx: Context) -> Outcome[None]:
        # One left to a 停产整顿 order does not hold the end up: its order decides.
        if left := await awaiting(ctx, c.id):
            raise Conflict(f"尚有{left}家企业未通过复工复产验收，不能结束")
        c.status, c.closed_at = CampaignStatus.CLOSED.value, ctx.now
        await emit(ctx, c, Ev.CLOSED)
        return Outcome(None, audit_action=Ev.CLOSED.value)

    return change
