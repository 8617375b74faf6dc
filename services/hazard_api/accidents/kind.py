"""The accident as a supervised item: what it gives the transition kernel, and its creation
(快报 / 接报)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.accidents import clocks, flows
from services.hazard_api.accidents.classes import INVESTIGATION_LEVEL
from services.hazard_api.accidents.models import Accident
from services.hazard_api.accidents.schemas import (
    CHANNEL_LABELS,
    OUTSIDE_CHANNELS,
    AccidentOut,
    AccidentType,
    Channel,
    QuickReportIn,
    ReportKind,
)
from services.hazard_api.accidents.service import (
    NOT_FOUND,
    accident_out,
    class_of,
    code_for,
    emit,
    envelope_of,
    missing_items,
    snapshot,
)
from services.hazard_api.accidents.states import AUTHORITY, ORIGIN, Action
from services.hazard_api.auth.models import Scope
from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.models import Unit
from services.hazard_api.hazards.admission import UnitFacts, admitted_enterprise
from services.hazard_api.items.kernel import Context, Creation, ItemKind, record_creation
from shared.contract import ACCIDENT_EVENTS, AccidentEventType, AccidentStatus
from shared.outbox import add_event

Ev = AccidentEventType
UNIT_NOT_FOUND = "事故单位不存在或不在您的管辖范围内"


def _scoped(user: AuthUser, accident_id: str) -> Select[Accident]:
    return select(Accident).where(Accident.id == accident_id, in_scope(user, Accident.unit_id))


ACCIDENT: ItemKind[Accident] = ItemKind(
    entity_type="accident",
    authority=AUTHORITY,
    not_found=NOT_FOUND,
    scoped=_scoped,
    origin=lambda _a: ORIGIN,
    snapshot=snapshot,
    envelope=envelope_of,
    topic=ACCIDENT_EVENTS,
)


async def _admit(
    data: QuickReportIn, claims: Mapping[str, Any], session: AsyncSession
) -> tuple[AuthUser, tuple[UnitFacts, Unit]]:
    user, facts, unit = await admitted_enterprise(
        claims,
        session,
        data.unit_id,
        not_found=UNIT_NOT_FOUND,
        not_an_enterprise="事故单位须为生产经营单位（企业）",
        needs_scope=Scope.ACCIDENTS_WRITE,
    )
    return user, (facts, unit)


async def _write(data: QuickReportIn, target: tuple[UnitFacts, Unit], ctx: Context) -> AccidentOut:
    facts, unit = target
    received_at = data.received_at or ctx.now
    flows.check_times(data.occurred_at, received_at, ctx.now)
    cls = class_of(data, missing_count_as_deaths=ctx.settings.accident_missing_count_as_deaths)
    accident_id = str(uuid.uuid4())
    a = Accident(
        id=accident_id,
        code=code_for(accident_id, data.occurred_at),
        status=AccidentStatus.REPORTED.value,
        unit_id=facts.id,
        unit_name=facts.name,
        credit_code=unit.credit_code,
        industry_code=facts.industry_code,
        township_id=facts.township_id,
        department_ids=facts.department_ids,
        area_code=data.area_code or facts.area_code,
        place=data.place,
        accident_type=(data.accident_type or AccidentType.OTHER).value,
        occurred_at=data.occurred_at,
        received_at=received_at,
        channel=data.channel.value,
        enterprise_reported_at=received_at if data.channel == Channel.ENTERPRISE else None,
        deaths=data.deaths,
        missing=data.missing,
        serious_injuries=data.serious_injuries,
        minor_injuries=data.minor_injuries,
        trapped=data.trapped,
        poisoned=data.poisoned,
        direct_loss_yuan=data.direct_loss_yuan,
        accident_class=cls.value,
        investigation_level=INVESTIGATION_LEVEL[cls],
        late_minutes=(
            clocks.late_minutes(data.occurred_at, received_at)
            if data.channel == Channel.ENTERPRISE
            else None
        ),
        missing_items=missing_items(data, data.accident_type),
        concealment_review=data.channel in OUTSIDE_CHANNELS,
        findings=[],
        investigation_extension_days=0,
        decision_extension_days=0,
        accountability=[],
        measures=[],
        created_by_user_id=ctx.user.id,
        audit_seq=0,
        audit_head="",
        updated_at=ctx.now,
    )
    report = flows.new_report(
        accident_id,
        1,
        ReportKind.FIRST,
        data,
        received_at=received_at,
        within_window=True,
        class_after=cls,
        user_id=ctx.user.id,
    )
    report.created_by_user_id = ctx.user.id
    ctx.session.add(a)
    ctx.session.add(report)
    record_creation(
        ACCIDENT, a, Ev.REPORTED.value, ctx, after=snapshot(a) | {"report_id": report.id}
    )
    # The report first: the chain is told at once; the flags follow in the same transaction.
    envelope = envelope_of(a, Ev.REPORTED, ctx.user, ctx.now, data.account)
    await add_event(ctx.session, outbox_tables.outbox, envelope, ACCIDENT_EVENTS, now=ctx.now)
    if a.late_minutes is not None:
        note = f"企业迟报：事故发生后{a.late_minutes}分钟报告"
        await emit(ctx.session, a, Ev.LATE_FLAGGED, ctx.user, ctx.now, note)
    if a.missing_items:
        note = "漏报：" + "、".join(a.missing_items)
        await emit(ctx.session, a, Ev.INCOMPLETE_FLAGGED, ctx.user, ctx.now, note)
    if a.concealment_review:
        note = f"事故首先由{CHANNEL_LABELS[data.channel]}渠道获知，尚无企业报告，请核查是否瞒报"
        await emit(ctx.session, a, Ev.CONCEALMENT_REVIEW_OPENED, ctx.user, ctx.now, note)
    return accident_out(a, ctx.now)


ACCIDENT_INTAKE: Creation[QuickReportIn, tuple[UnitFacts, Unit], AccidentOut] = Creation(
    action=Action.REPORT,
    origin=lambda _data: ORIGIN,
    admit=_admit,
    write=_write,
    fast=None,
)
