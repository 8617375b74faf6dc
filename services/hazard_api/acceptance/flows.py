"""验收 verdicts and 销号 (write-off / delisting)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.acceptance.models import Acceptance, CloseIn, VerdictIn
from services.hazard_api.acceptance.service import open_acceptance
from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.errors import Conflict, Forbidden
from services.hazard_api.hazards.flows import record, set_deadline
from services.hazard_api.hazards.models import Hazard, snapshot
from services.hazard_api.hazards.states import Action, guard
from shared.contract import DeadlineKind, HazardEventType, HazardStatus


def _is_rectifier(h: Hazard, user: AuthUser) -> bool:
    if user.id == h.rectification_reported_by_user_id:
        return True
    return user.person_id is not None and user.person_id == h.rectification_reported_by_person_id


async def decide(
    h: Hazard,
    data: VerdictIn,
    *,
    session: AsyncSession,
    user: AuthUser,
    now: datetime,
    settings: Settings,
) -> Acceptance:
    """The reviewer's verdict: never the person who reported the rectification (16号令)."""
    guard(Action.DECIDE_ACCEPTANCE, status=h.status, role=user.role)
    if _is_rectifier(h, user):
        raise Forbidden("验收人不能是整改申请人：须由挂牌单位或监管部门的其他人员验收")
    acceptance = await open_acceptance(session=session, hazard_id=h.id)
    if acceptance is None:  # pragma: no cover - the state says there is one
        raise Conflict("没有待验收的申请")
    before = snapshot(h)
    acceptance.decided_at, acceptance.passed, acceptance.opinion = now, data.passed, data.opinion
    acceptance.decided_by_user_id, acceptance.decided_by_person_id = user.id, user.person_id
    h.acceptance_due_at = None
    if data.passed:
        h.status, h.accepted_at, h.accepted_by_user_id = HazardStatus.ACCEPTED.value, now, user.id
        event = HazardEventType.ACCEPTED
    else:
        h.status = HazardStatus.RECTIFYING.value
        if data.redo_days is not None:
            kind = DeadlineKind(h.deadline_kind or DeadlineKind.CALENDAR_DAYS)
            set_deadline(h, start=now, days=data.redo_days, kind=kind)
        event = HazardEventType.ACCEPTANCE_FAILED
    await record(
        session,
        h,
        event=event,
        user=user,
        now=now,
        before=before,
        extra={"acceptance_round": acceptance.round, "opinion": data.opinion},
        note=data.opinion,
    )
    return acceptance


async def close(
    h: Hazard, data: CloseIn, *, session: AsyncSession, user: AuthUser, now: datetime
) -> None:
    guard(Action.CLOSE, status=h.status, role=user.role)
    before = snapshot(h)
    if h.listing_level is not None:
        if user.role != UserRole.COUNTY_OFFICE:
            raise Forbidden("挂牌督办隐患由挂牌单位摘牌销号")
        if data.delisting_notice_no is None:
            raise Conflict("摘牌销号须填写摘牌通知文号")
        h.delisting_notice_no = data.delisting_notice_no
    h.status, h.closed_at, h.closed_by_user_id = HazardStatus.CLOSED.value, now, user.id
    await record(
        session,
        h,
        event=HazardEventType.CLOSED,
        user=user,
        now=now,
        before=before,
        extra={"delisting_published": data.published} if h.listing_level else None,
        note=data.note,
    )
