"""停产整顿 changes: the order suspends the enterprise (its status in the directory, and on
org.events for every service); only a passed 复工复产验收 lets it resume."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.links import unit_event, unit_links
from services.hazard_api.directory.models import Unit
from services.hazard_api.errors import Conflict, FieldError
from services.hazard_api.hazards.admission import UnitFacts
from services.hazard_api.items.kernel import Change, Context, Outcome
from services.hazard_api.suspensions.acceptance import acceptance_round
from services.hazard_api.suspensions.models import Suspension
from services.hazard_api.suspensions.schemas import AcceptanceIn, ApplicationIn, OrderIn, ReviewIn
from shared.contract import (
    ORG_EVENTS,
    EnterpriseStatus,
    Envelope,
    Producer,
    SuspensionEventType,
    SuspensionStatus,
)
from shared.outbox import add_event

Ev = SuspensionEventType
S = SuspensionStatus
NOT_ACCEPTED = "该企业尚未通过复工复产验收，不得恢复生产"


async def set_enterprise_status(ctx: Context, unit_id: str, value: EnterpriseStatus) -> None:
    """The directory's status, and its full-state event for the other services."""
    unit = await ctx.session.get(Unit, unit_id)
    if unit is None:  # pragma: no cover - the row is referenced by a foreign key
        raise FieldError("unit_id", "企业不存在")
    unit.status, unit.updated_at = value.value, ctx.now
    links = await unit_links(ctx.session, unit.id)
    envelope = Envelope.of(
        unit_event(unit, links),
        aggregate_id=unit.id,
        producer=Producer.HAZARD_API,
        occurred_at=ctx.now,
    )
    await add_event(ctx.session, outbox_tables.outbox, envelope, ORG_EVENTS, now=ctx.now)


async def new_order(data: OrderIn, unit: UnitFacts, ctx: Context) -> Suspension:
    open_one = await ctx.session.scalar(
        select(Suspension.id).where(
            Suspension.unit_id == unit.id, Suspension.status != S.RESUMED.value
        )
    )
    if open_one is not None:
        raise Conflict("该企业已在停产整顿中")
    s = Suspension(
        id=str(uuid.uuid4()),
        status=S.SUSPENDED.value,
        unit_id=unit.id,
        unit_name=unit.name,
        township_id=unit.township_id,
        department_ids=unit.department_ids,
        order_no=data.order_no,
        reason=data.reason,
        accident_id=data.accident_id,
        ordered_at=ctx.now,
        ordered_by_user_id=ctx.user.id,
        acceptances=[],
        audit_seq=0,
        audit_head="",
        updated_at=ctx.now,
    )
    ctx.session.add(s)
    await set_enterprise_status(ctx, unit.id, EnterpriseStatus.SUSPENDED)
    return s


def apply(data: ApplicationIn) -> Change[Suspension, None]:
    async def change(s: Suspension, ctx: Context) -> Outcome[None]:
        s.application, s.applied_at, s.status = data.model_dump(), ctx.now, S.APPLIED.value
        return Outcome(None, event=Ev.APPLIED)

    return change


def review(data: ReviewIn) -> Change[Suspension, None]:
    """The township's review: passed goes to the acceptance team, not passed back to 整顿."""

    async def change(s: Suspension, ctx: Context) -> Outcome[None]:
        s.review, s.reviewed_at = data.model_dump() | {"by": ctx.user.id}, ctx.now
        s.status = (S.REVIEWED if data.passed else S.SUSPENDED).value
        return Outcome(None, event=Ev.REVIEWED, note=data.note)

    return change


def decide_acceptance(data: AcceptanceIn) -> Change[Suspension, None]:
    async def change(s: Suspension, ctx: Context) -> Outcome[None]:
        s.acceptances = [*s.acceptances, acceptance_round(data, ctx)]
        if data.passed:
            s.status, s.accepted_at = S.ACCEPTED.value, ctx.now
            return Outcome(None, event=Ev.ACCEPTED, note=data.note)
        s.status = S.SUSPENDED.value
        return Outcome(None, event=Ev.ACCEPTANCE_FAILED, note=data.note)

    return change


def resume() -> Change[Suspension, None]:
    async def change(s: Suspension, ctx: Context) -> Outcome[None]:
        if s.status != S.ACCEPTED.value or s.accepted_at is None:
            raise Conflict(NOT_ACCEPTED)
        s.status, s.resumed_at = S.RESUMED.value, ctx.now
        await set_enterprise_status(ctx, s.unit_id, EnterpriseStatus.OPERATING)
        return Outcome(None, event=Ev.RESUMED)

    return change
