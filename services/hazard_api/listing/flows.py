"""挂牌督办: listing a major hazard, raising the listing a level."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.directory.models import Unit
from services.hazard_api.errors import Conflict, FieldError
from services.hazard_api.hazards.flows import audit_only, record, set_deadline
from services.hazard_api.hazards.models import Hazard, snapshot
from services.hazard_api.hazards.states import Action, guard
from services.hazard_api.listing.models import ListingIn, PublishIn, RaiseIn
from shared.contract import DeadlineKind, HazardEventType, HazardLevel, ListingLevel

# 鄂安〔2010〕20号: grade 3 → county, 2 → city, 1 → province.
LEVEL_BY_GRADE = {3: ListingLevel.COUNTY, 2: ListingLevel.CITY, 1: ListingLevel.PROVINCE}
NEXT_LEVEL = {ListingLevel.COUNTY: ListingLevel.CITY, ListingLevel.CITY: ListingLevel.PROVINCE}
BODY_NAMES = {
    ListingLevel.COUNTY: "县安全生产委员会",
    ListingLevel.CITY: "市安全生产委员会",
    ListingLevel.PROVINCE: "省安全生产委员会",
}


async def _county_body_id(session: AsyncSession) -> str | None:
    """The county's 安委办 unit stands for the county listing body in the directory."""
    return await session.scalar(select(Unit.id).where(Unit.is_safety_office.is_(True)).limit(1))


async def list_hazard(
    h: Hazard,
    data: ListingIn,
    *,
    session: AsyncSession,
    user: AuthUser,
    now: datetime,
    settings: Settings,
) -> None:
    guard(Action.LIST, status=h.status, role=user.role)
    if h.level != HazardLevel.MAJOR.value or h.grade is None:
        raise Conflict("只有已判定为重大事故隐患的才能挂牌督办")
    if h.listing_level is not None:
        raise Conflict("该隐患已挂牌督办；如需提级请使用提级挂牌")
    days = data.deadline_days or settings.listing_deadline_days
    if days > settings.listing_deadline_max_days:
        raise FieldError(
            "deadline_days", f"挂牌督办整改期限最长 {settings.listing_deadline_max_days} 日"
        )
    issued_at = data.issued_at or now
    if issued_at > now:
        raise FieldError("issued_at", "下达时间不能晚于当前时间")
    level = data.level or LEVEL_BY_GRADE[h.grade]
    before = snapshot(h)
    h.listing_level, h.listing_notice_no, h.listed_at = level.value, data.notice_no, issued_at
    h.listing_body_name = data.body_name or BODY_NAMES[level]
    h.listing_body_id = await _county_body_id(session) if level == ListingLevel.COUNTY else None
    h.listing_published = data.published
    h.original_deadline_at = None  # the listing sets the baseline
    set_deadline(h, start=issued_at, days=days, kind=DeadlineKind.CALENDAR_DAYS)
    await record(session, h, event=HazardEventType.LISTED, user=user, now=now, before=before)


async def raise_listing(
    h: Hazard, data: RaiseIn, *, session: AsyncSession, user: AuthUser, now: datetime
) -> None:
    """提级挂牌: county → city → province when rectification drags on."""
    guard(Action.RAISE_LISTING, status=h.status, role=user.role)
    if h.listing_level is None:
        raise Conflict("该隐患尚未挂牌督办，不能提级")
    current = ListingLevel(h.listing_level)
    if current not in NEXT_LEVEL:
        raise Conflict("已是省级挂牌督办，不能再提级")
    before = snapshot(h)
    level = NEXT_LEVEL[current]
    h.listing_level, h.listing_body_id = level.value, None
    h.listing_body_name = data.body_name or BODY_NAMES[level]
    if data.notice_no is not None:
        h.listing_notice_no = data.notice_no
    await record(
        session,
        h,
        event=HazardEventType.LISTING_RAISED,
        user=user,
        now=now,
        before=before,
        extra={"reason": data.reason},
        note=data.reason,
    )


async def publish(
    h: Hazard, data: PublishIn, *, session: AsyncSession, user: AuthUser, now: datetime
) -> None:
    """Mark the listing notice as published (公开); audited, no lifecycle event."""
    guard(Action.RAISE_LISTING, status=h.status, role=user.role)
    if h.listing_level is None:
        raise Conflict("该隐患尚未挂牌督办")
    before = snapshot(h)
    h.listing_published = data.published
    audit_only(session, h, action="hazard.listing_published", user=user, now=now, before=before)
