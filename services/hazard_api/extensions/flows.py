"""延期: a unit asks for more time before its deadline; the supervisor decides."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.errors import Conflict, NotFound
from services.hazard_api.extensions.models import (
    DecisionIn,
    Extension,
    ExtensionIn,
    ExtensionStatus,
)
from services.hazard_api.hazards.flows import record
from services.hazard_api.hazards.models import Hazard, snapshot
from services.hazard_api.hazards.states import Action, guard
from shared.calendar import default_calendar
from shared.clock import local
from shared.contract import DeadlineKind, HazardEventType


async def request(
    h: Hazard,
    data: ExtensionIn,
    *,
    session: AsyncSession,
    user: AuthUser,
    now: datetime,
    settings: Settings,
) -> Extension:
    guard(Action.REQUEST_EXTENSION, status=h.status, role=user.role)
    if h.deadline_at is None:  # pragma: no cover - rectifying hazards always have one
        raise Conflict("该隐患没有整改期限，无需延期")
    lead = (
        settings.extension_lead_workdays_listed
        if h.listing_level is not None
        else settings.extension_lead_workdays
    )
    calendar = default_calendar()
    left = calendar.workdays_between(local(now).date(), local(h.deadline_at).date()).count
    if left < lead:
        raise Conflict(
            f"延期申请须在整改期限届满前至少 {lead} 个工作日提出"
            f"（当前剩余 {max(left, 0)} 个工作日）"
        )
    pending = await session.scalar(
        select(Extension.id).where(
            Extension.hazard_id == h.id, Extension.status == ExtensionStatus.PENDING.value
        )
    )
    if pending is not None:
        raise Conflict("已有待审批的延期申请，请等待审批结果")
    kind = data.kind or DeadlineKind(h.deadline_kind or DeadlineKind.CALENDAR_DAYS)
    proposed = calendar.deadline_after(h.deadline_at, data.days, kind)
    ext = Extension(
        id=str(uuid.uuid4()),
        hazard_id=h.id,
        reason=data.reason,
        days=data.days,
        kind=kind.value,
        previous_deadline_at=h.deadline_at,
        proposed_deadline_at=proposed.at,
        provisional=proposed.provisional,
        status=ExtensionStatus.PENDING.value,
        requested_at=now,
        requested_by_user_id=user.id,
    )
    session.add(ext)
    before = snapshot(h)
    await record(
        session,
        h,
        event=HazardEventType.EXTENSION_REQUESTED,
        user=user,
        now=now,
        before=before,
        extra={
            "extension_id": ext.id,
            "proposed_deadline_at": proposed.at.isoformat(),
            "reason": data.reason,
        },
        note=data.reason,
    )
    return ext


async def decide(
    h: Hazard,
    extension_id: str,
    data: DecisionIn,
    *,
    session: AsyncSession,
    user: AuthUser,
    now: datetime,
) -> Extension:
    guard(Action.DECIDE_EXTENSION, status=h.status, role=user.role)
    ext = await session.scalar(
        select(Extension).where(Extension.id == extension_id, Extension.hazard_id == h.id)
    )
    if ext is None:
        raise NotFound("延期申请不存在")
    if ext.status != ExtensionStatus.PENDING.value:
        raise Conflict("该延期申请已审批，不能重复审批")
    before = snapshot(h)
    ext.decided_at, ext.decided_by_user_id, ext.opinion = now, user.id, data.opinion
    if data.approve:
        ext.status = ExtensionStatus.APPROVED.value
        h.deadline_at, h.deadline_kind = ext.proposed_deadline_at, ext.kind
        h.deadline_days, h.deadline_provisional = ext.days, ext.provisional
        event = HazardEventType.EXTENSION_APPROVED
    else:
        ext.status = ExtensionStatus.REJECTED.value
        event = HazardEventType.EXTENSION_REJECTED
    await record(
        session,
        h,
        event=event,
        user=user,
        now=now,
        before=before,
        extra={"extension_id": ext.id, "opinion": data.opinion},
        note=data.opinion,
    )
    return ext


async def history(*, session: AsyncSession, hazard_id: str) -> list[Extension]:
    rows = await session.scalars(
        select(Extension).where(Extension.hazard_id == hazard_id).order_by(Extension.requested_at)
    )
    return list(rows)
