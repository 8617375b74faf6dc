"""挂牌督办: listing a major hazard, raising the listing a level, recording its publication.
Changes for the transition kernel (the county office stands for the listing body)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.directory.models import Unit
from services.hazard_api.errors import Conflict, FieldError
from services.hazard_api.hazards.deadlines import set_deadline
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Change, Context, Outcome
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


def list_hazard(data: ListingIn) -> Change[Hazard, None]:
    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        if h.level != HazardLevel.MAJOR.value or h.grade is None:
            raise Conflict("只有已判定为重大事故隐患的才能挂牌督办")
        settings = ctx.settings
        days = data.deadline_days or settings.listing_deadline_days
        if days > settings.listing_deadline_max_days:
            raise FieldError(
                "deadline_days", f"挂牌督办整改期限最长 {settings.listing_deadline_max_days} 日"
            )
        issued_at = data.issued_at or ctx.now
        if issued_at > ctx.now:
            raise FieldError("issued_at", "下达时间不能晚于当前时间")
        level = data.level or LEVEL_BY_GRADE[h.grade]
        h.listing_level, h.listing_notice_no, h.listed_at = level.value, data.notice_no, issued_at
        h.listing_body_name = data.body_name or BODY_NAMES[level]
        county = level == ListingLevel.COUNTY
        h.listing_body_id = await _county_body_id(ctx.session) if county else None
        h.listing_published = data.published
        h.listing_published_at = issued_at if data.published else None
        h.original_deadline_at = None  # the listing sets the baseline
        set_deadline(h, start=issued_at, days=days, kind=DeadlineKind.CALENDAR_DAYS)
        return Outcome(None, HazardEventType.LISTED)

    return change


def raise_listing(data: RaiseIn) -> Change[Hazard, None]:
    """提级挂牌: county → city → province when rectification drags on."""

    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        if h.listing_level is None:  # pragma: no cover - the authority table's origin
            raise Conflict("该隐患尚未挂牌督办，不能提级")
        current = ListingLevel(h.listing_level)
        if current not in NEXT_LEVEL:
            raise Conflict("已是省级挂牌督办，不能再提级")
        level = NEXT_LEVEL[current]
        h.listing_level, h.listing_body_id = level.value, None
        h.listing_body_name = data.body_name or BODY_NAMES[level]
        if data.notice_no is not None:
            h.listing_notice_no = data.notice_no
        return Outcome(
            None, HazardEventType.LISTING_RAISED, extra={"reason": data.reason}, note=data.reason
        )

    return change


def publish(data: PublishIn) -> Change[Hazard, None]:
    """挂牌督办通知书公布: stops the publication chase."""

    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        if not data.published:
            raise FieldError("published", "只能登记挂牌督办通知已公布")
        if h.listing_published:
            raise Conflict("挂牌督办通知已公布")
        h.listing_published, h.listing_published_at = True, ctx.now
        return Outcome(None, HazardEventType.LISTING_PUBLISHED)

    return change
