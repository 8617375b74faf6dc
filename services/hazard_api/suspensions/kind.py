"""The 停产整顿 order as a supervised item, and its creation (责令停产停业整顿)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.db import outbox_tables
from services.hazard_api.hazards.admission import UnitFacts, admitted_enterprise
from services.hazard_api.items.kernel import Context, Creation, ItemKind, record_creation
from services.hazard_api.suspensions import flows
from services.hazard_api.suspensions.models import Suspension
from services.hazard_api.suspensions.schemas import OrderIn, SuspensionOut
from services.hazard_api.suspensions.states import AUTHORITY, ORIGIN, Action, allowed_actions
from shared.accident_labels import SUSPENSION_STATUS_LABELS
from shared.contract import (
    ACCIDENT_EVENTS,
    Envelope,
    Producer,
    SuspensionEvent,
    SuspensionEventType,
    SuspensionFacts,
    SuspensionStatus,
)
from shared.outbox import add_event

NOT_FOUND = "停产整顿记录不存在或不在您的管辖范围内"


def _scoped(user: AuthUser, suspension_id: str) -> Select[Suspension]:
    return select(Suspension).where(
        Suspension.id == suspension_id, in_scope(user, Suspension.unit_id)
    )


def snapshot(s: Suspension) -> dict[str, Any]:
    return {
        "status": s.status,
        "unit_id": s.unit_id,
        "order_no": s.order_no,
        "application": s.application,
        "review": s.review,
        "acceptances": len(s.acceptances or []),
        "resumed_at": s.resumed_at.isoformat() if s.resumed_at else None,
    }


def envelope_of(
    s: Suspension, event: str, user: AuthUser, now: datetime, note: str | None
) -> Envelope:
    facts = SuspensionFacts(
        suspension_id=s.id,
        status=SuspensionStatus(s.status),
        unit_id=s.unit_id,
        unit_name=s.unit_name,
        township_id=s.township_id,
        department_ids=list(s.department_ids),
        order_no=s.order_no,
        accident_id=s.accident_id,
        ordered_at=s.ordered_at,
        resumed_at=s.resumed_at,
        reviewed_at=s.reviewed_at,
        actor_person_id=user.person_id,
    )
    payload = SuspensionEvent(event=SuspensionEventType(event), facts=facts, note=note)
    return Envelope.of(payload, aggregate_id=s.id, producer=Producer.HAZARD_API, occurred_at=now)


SUSPENSION: ItemKind[Suspension] = ItemKind(
    entity_type="suspension",
    authority=AUTHORITY,
    not_found=NOT_FOUND,
    scoped=_scoped,
    origin=lambda _s: ORIGIN,
    snapshot=snapshot,
    envelope=envelope_of,
    topic=ACCIDENT_EVENTS,
)


def suspension_out(s: Suspension, user: AuthUser | None = None) -> SuspensionOut:
    """The order as answered; with `user`, the actions that user may take on it now."""
    out = SuspensionOut.model_validate(s)
    update: dict[str, Any] = {"status_label": SUSPENSION_STATUS_LABELS[s.status]}
    if user is not None:
        update["allowed_actions"] = allowed_actions(s.status, user.role)
    return out.model_copy(update=update)


async def _admit(
    data: OrderIn, claims: Mapping[str, Any], session: AsyncSession
) -> tuple[AuthUser, UnitFacts]:
    user, facts, _unit = await admitted_enterprise(
        claims,
        session,
        data.unit_id,
        not_found="企业不存在或不在您的管辖范围内",
        not_an_enterprise="只能责令生产经营单位（企业）停产停业整顿",
    )
    return user, facts


async def _write(data: OrderIn, unit: UnitFacts, ctx: Context) -> SuspensionOut:
    s = await flows.new_order(data, unit, ctx)
    record_creation(SUSPENSION, s, SuspensionEventType.ORDERED.value, ctx)
    envelope = envelope_of(s, SuspensionEventType.ORDERED, ctx.user, ctx.now, data.reason)
    await add_event(ctx.session, outbox_tables.outbox, envelope, ACCIDENT_EVENTS, now=ctx.now)
    return suspension_out(s, ctx.user)


SUSPENSION_ORDER: Creation[OrderIn, UnitFacts, SuspensionOut] = Creation(
    action=Action.ORDER, origin=lambda _d: ORIGIN, admit=_admit, write=_write, fast=None
)
