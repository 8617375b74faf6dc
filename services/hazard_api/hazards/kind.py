"""The hazard as a supervised item: what it gives the transition kernel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.hazards import intake, intake_statement
from services.hazard_api.hazards.admission import UnitFacts
from services.hazard_api.hazards.deps import intake_caller
from services.hazard_api.hazards.models import Hazard, snapshot
from services.hazard_api.hazards.schemas import HazardIn, HazardOut
from services.hazard_api.hazards.service import NOT_FOUND, facts, hazard_out
from services.hazard_api.hazards.states import AUTHORITY, Action, origin_of
from services.hazard_api.items.kernel import Context, Creation, ItemKind
from shared.contract import HAZARD_EVENTS, Envelope, HazardEvent, HazardEventType, Producer


def _scoped(user: AuthUser, hazard_id: str) -> Select[Hazard]:
    return select(Hazard).where(Hazard.id == hazard_id, in_scope(user, Hazard.unit_id))


def _origin(h: Hazard) -> str:
    return origin_of(source=h.source, listing_level=h.listing_level)


def _envelope(h: Hazard, event: str, user: AuthUser, now: datetime, note: str | None) -> Envelope:
    payload = HazardEvent(
        event=HazardEventType(event), facts=facts(h, actor_person_id=user.person_id), note=note
    )
    return Envelope.of(payload, aggregate_id=h.id, producer=Producer.HAZARD_API, occurred_at=now)


HAZARD: ItemKind[Hazard] = ItemKind(
    entity_type="hazard",
    authority=AUTHORITY,
    not_found=NOT_FOUND,
    scoped=_scoped,
    origin=_origin,
    snapshot=snapshot,
    envelope=_envelope,
    topic=HAZARD_EVENTS,
)


# ---------------------------------------------------------------- creation (登记)
async def _admit(
    data: HazardIn, claims: Mapping[str, Any], session: AsyncSession
) -> tuple[AuthUser, UnitFacts]:
    return await intake_caller(dict(claims), data.unit_id, session=session)


async def _write(data: HazardIn, unit: UnitFacts, ctx: Context) -> HazardOut:
    intake.check_found_at(data, ctx.now)
    values = intake.reported_values(data, unit_id=unit.id, user=ctx.user, now=ctx.now)
    values.update(
        unit_name=unit.name,
        area_code=unit.area_code,
        industry_code=unit.industry_code,
        township_id=unit.township_id,
        department_ids=unit.department_ids,
    )
    row = intake.first_audit_row(values, user=ctx.user, now=ctx.now)
    envelope = intake.reported_envelope(values, user=ctx.user, now=ctx.now)
    # No NOTIFY (PostgreSQL holds a database-wide lock from NOTIFY through the commit's WAL
    # flush, so every intake would commit one at a time); the relays of this process wake at
    # commit.
    await intake.insert_reported(ctx.session, values, row, envelope, now=ctx.now)
    return hazard_out(Hazard(**values), ctx.now)


async def _fast(
    data: HazardIn, claims: Mapping[str, Any], engine: AsyncEngine, now: datetime
) -> HazardOut | None:
    # Looked up on the module at call time (tests watch which path intake takes).
    return await intake_statement.report_in_one_statement(data, claims, engine=engine, now=now)


HAZARD_INTAKE: Creation[HazardIn, UnitFacts, HazardOut] = Creation(
    action=Action.REPORT,
    origin=lambda data: origin_of(source=data.source.value, listing_level=None),
    admit=_admit,
    write=_write,
    fast=_fast,
)
