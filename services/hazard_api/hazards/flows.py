"""Hazard transitions: each one changes the record, appends to its audit chain and queues its
event in the outbox, all in the caller's transaction (the views commit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.acceptance.service import open_round
from services.hazard_api.audit.models import AuditRow
from services.hazard_api.audit.service import Actor, ChainHead, new_row_values
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.criteria.service import catalogue
from services.hazard_api.db import outbox_tables
from services.hazard_api.errors import Conflict, FieldError
from services.hazard_api.evidence.service import bind_attachments
from services.hazard_api.hazards.intake import (
    check_found_at,
    first_audit_row,
    reported_envelope,
    reported_values,
)
from services.hazard_api.hazards.models import Hazard, TreatmentPlan, chain_key, snapshot
from services.hazard_api.hazards.schemas import ClassifyIn, HazardIn, PlanIn, RectifiedIn
from services.hazard_api.hazards.service import UnitFacts, facts, insert_reported
from services.hazard_api.hazards.states import Action, guard
from shared.calendar import default_calendar
from shared.contract import (
    HAZARD_EVENTS,
    DeadlineKind,
    Envelope,
    HazardEvent,
    HazardEventType,
    HazardLevel,
    HazardStatus,
    Producer,
)
from shared.outbox import add_event


async def record(
    session: AsyncSession,
    h: Hazard,
    *,
    event: HazardEventType,
    user: AuthUser,
    now: datetime,
    before: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Audit row (extending the hazard's chain) and outbox event for one transition."""
    after = snapshot(h) | (extra or {})
    audit_only(session, h, action=event.value, user=user, now=now, before=before, after=after)
    envelope = envelope_for(h, event, user=user, now=now, note=note)
    await add_event(session, outbox_tables.outbox, envelope, HAZARD_EVENTS, now=now)


def chain_row(
    h: Hazard,
    *,
    action: str,
    user: AuthUser,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None = None,
) -> AuditRow:
    """The next row of the hazard's audit chain; moves the head kept on the hazard."""
    head = ChainHead(h.audit_seq, h.audit_head) if h.audit_seq else None
    row = AuditRow(
        **new_row_values(
            chain_key=chain_key(h.id),
            head=head,
            at=now,
            actor=Actor(user.id, user.person_id, user.role.value),
            action=action,
            entity_type="hazard",
            entity_id=h.id,
            before=before,
            after=after if after is not None else snapshot(h),
        )
    )
    h.audit_seq, h.audit_head, h.updated_at = row.seq, row.hash, now
    return row


def audit_only(
    session: AsyncSession,
    h: Hazard,
    *,
    action: str,
    user: AuthUser,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None = None,
) -> None:
    """An audited change that is not a lifecycle transition (no event)."""
    session.add(chain_row(h, action=action, user=user, now=now, before=before, after=after))


def envelope_for(
    h: Hazard, event: HazardEventType, *, user: AuthUser, now: datetime, note: str | None = None
) -> Envelope:
    payload = HazardEvent(event=event, facts=facts(h, actor_person_id=user.person_id), note=note)
    return Envelope.of(payload, aggregate_id=h.id, producer=Producer.HAZARD_API, occurred_at=now)


def set_deadline(h: Hazard, *, start: datetime, days: int, kind: DeadlineKind) -> None:
    deadline = default_calendar().deadline_after(start, days, kind)
    h.deadline_at, h.deadline_kind, h.deadline_days = deadline.at, kind.value, days
    h.deadline_provisional = deadline.provisional
    if h.original_deadline_at is None:
        h.original_deadline_at = deadline.at


async def report(
    data: HazardIn, unit: UnitFacts, *, session: AsyncSession, user: AuthUser, now: datetime
) -> Hazard:
    """登记: a new hazard in `reported` for `unit` (already checked to be in `user`'s scope).
    On PostgreSQL, `intake.report_in_one_statement` usually gets there first."""
    check_found_at(data, now)
    values = reported_values(data, unit_id=unit.id, user=user, now=now)
    values.update(
        unit_name=unit.name,
        area_code=unit.area_code,
        industry_code=unit.industry_code,
        township_id=unit.township_id,
        department_ids=unit.department_ids,
    )
    row = first_audit_row(values, user=user, now=now)
    envelope = reported_envelope(values, user=user, now=now)
    # No NOTIFY (PostgreSQL holds a database-wide lock from NOTIFY through the commit's WAL
    # flush, so every intake would commit one at a time); the relays of this process wake at
    # commit.
    await insert_reported(session, values, row, envelope, now=now)
    return Hazard(**values)


async def classify(
    h: Hazard,
    data: ClassifyIn,
    *,
    session: AsyncSession,
    user: AuthUser,
    now: datetime,
    settings: Settings,
) -> None:
    """判定: level (and grade and criterion for a major hazard) and the rectification deadline."""
    guard(Action.CLASSIFY, status=h.status, role=user.role)
    if data.criterion_id is not None:
        cat = catalogue()
        if cat.get(data.criterion_id) is None:
            raise FieldError("criterion_id", "判定依据不在判定标准目录中")
        if not cat.applies(data.criterion_id, h.industry_code):
            raise FieldError("criterion_id", "该判定依据不适用于本单位所属行业")
    before = snapshot(h)
    major = data.level == HazardLevel.MAJOR
    h.level, h.grade, h.criterion_id = data.level.value, data.grade, data.criterion_id
    h.status, h.classified_at, h.classified_by_user_id = (
        HazardStatus.CLASSIFIED.value,
        now,
        user.id,
    )
    default_days = settings.major_deadline_days if major else settings.general_deadline_days
    set_deadline(
        h,
        start=now,
        days=data.deadline_days or default_days,
        kind=data.deadline_kind or settings.general_deadline_kind,
    )
    await record(session, h, event=HazardEventType.CLASSIFIED, user=user, now=now, before=before)


async def submit_plan(
    h: Hazard, data: PlanIn, *, session: AsyncSession, user: AuthUser, now: datetime
) -> TreatmentPlan:
    """治理方案 (six parts) of a major hazard; may be revised while rectifying."""
    guard(Action.SUBMIT_PLAN, status=h.status, role=user.role)
    if h.level != HazardLevel.MAJOR.value:
        raise Conflict("只有重大事故隐患需要制定治理方案")
    plan = await session.get(TreatmentPlan, h.id)
    fields = data.model_dump()
    if plan is None:
        plan = TreatmentPlan(
            hazard_id=h.id, **fields, submitted_at=now, submitted_by_user_id=user.id
        )
        session.add(plan)
    else:
        for key, value in fields.items():
            setattr(plan, key, value)
        plan.submitted_at, plan.submitted_by_user_id = now, user.id
    # Not a state change, but audited (the chain) like one; no event: nothing to chase.
    before = snapshot(h)
    audit_only(
        session,
        h,
        action="hazard.plan_submitted",
        user=user,
        now=now,
        before=before,
        after=before | {"plan": fields},
    )
    return plan


async def start_rectification(
    h: Hazard, *, session: AsyncSession, user: AuthUser, now: datetime, note: str | None
) -> None:
    guard(Action.START_RECTIFICATION, status=h.status, role=user.role)
    if h.level == HazardLevel.MAJOR.value and await session.get(TreatmentPlan, h.id) is None:
        raise Conflict(
            "重大事故隐患须先提交治理方案（目标任务、方法措施、经费物资、机构人员、"
            "时限要求、安全措施和应急预案）才能开始整改"
        )
    before = snapshot(h)
    h.status, h.rectification_started_at = HazardStatus.RECTIFYING.value, now
    await record(
        session,
        h,
        event=HazardEventType.RECTIFICATION_STARTED,
        user=user,
        now=now,
        before=before,
        note=note,
    )


async def report_rectification(
    h: Hazard,
    data: RectifiedIn,
    *,
    session: AsyncSession,
    user: AuthUser,
    now: datetime,
    settings: Settings,
    on_the_spot: bool = False,
) -> None:
    """申请验收 after rectifying, or 立查立改 for a general hazard fixed when found."""
    guard(
        Action.RECTIFY_ON_SPOT if on_the_spot else Action.REPORT_RECTIFICATION,
        status=h.status,
        role=user.role,
    )
    before = snapshot(h)
    if on_the_spot:
        h.level, h.on_the_spot = HazardLevel.GENERAL.value, True
        h.classified_at, h.classified_by_user_id = now, user.id
    acceptance = await open_round(h, data, session=session, user=user, now=now, settings=settings)
    await bind_attachments(
        session, hazard_id=h.id, attachment_ids=data.attachment_ids, acceptance_id=acceptance.id
    )
    h.status = HazardStatus.RECTIFICATION_REPORTED.value
    h.rectification_reported_at = now
    h.rectification_reported_by_user_id = user.id
    h.rectification_reported_by_person_id = user.person_id
    h.acceptance_due_at = acceptance.due_at
    h.funds_spent = data.funds_spent
    await record(
        session,
        h,
        event=HazardEventType.RECTIFICATION_REPORTED,
        user=user,
        now=now,
        before=before,
        extra={
            "acceptance_round": acceptance.round,
            "summary": data.summary,
            "attachment_ids": sorted(data.attachment_ids),
            "on_the_spot": on_the_spot,
        },
        note="立查立改" if on_the_spot else None,
    )
