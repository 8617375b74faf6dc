"""市/省挂牌督办决定: a listing decided by the city or the province, received through the
reporting link (an integration client with `listing:external`) and applied through the
transition kernel like the county office's own listing, so the same authority and audit hold.

The hazard is listed at the deciding level (or raised to it when listed lower) with the
decision's notice number and deadline. The same decision delivered again changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.hazard_api.errors import Conflict, FieldError
from services.hazard_api.fields import Filled, Printable, text
from services.hazard_api.hazards.deadlines import set_deadline
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Change, Context, Outcome
from services.hazard_api.listing.flows import BODY_NAMES
from services.hazard_api.listing.models import BodyName, NoticeNo
from shared.clock import SHANGHAI
from shared.contract import DeadlineKind, HazardEventType, HazardLevel, ListingLevel

RANK = {ListingLevel.COUNTY: 0, ListingLevel.CITY: 1, ListingLevel.PROVINCE: 2}
DECIDER_NAMES = {ListingLevel.CITY: "市级", ListingLevel.PROVINCE: "省级"}
LONGEST_DAYS = 365


class ExternalListingIn(BaseModel):
    """The city's or the province's decision as the reporting service relays it."""

    model_config = ConfigDict(extra="forbid")

    decided_by: ListingLevel = Field(description="作出决定的层级：city 市级 / province 省级")
    decision_id: Annotated[str, text(100), Printable, Filled] = Field(
        description="报送通道的消息编号（webhook-id），记入审计"
    )
    notice_no: NoticeNo
    deadline_on: date = Field(description="整改期限（北京时间日期，含当日）")
    issued_at: AwareDatetime | None = None
    body_name: BodyName | None = None


class AlreadyApplied(Exception):
    """The hazard already carries this decision: a repeat is answered, not applied again."""


def apply_external(data: ExternalListingIn) -> Change[Hazard, None]:
    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        level = ListingLevel(data.decided_by)
        if level == ListingLevel.COUNTY:
            raise FieldError("decided_by", "报送通道只接收市级或省级挂牌督办决定")
        if h.level != HazardLevel.MAJOR.value or h.grade is None:
            raise Conflict("只有已判定为重大事故隐患的才能挂牌督办")
        current = ListingLevel(h.listing_level) if h.listing_level else None
        if current == level and h.listing_notice_no == data.notice_no:
            raise AlreadyApplied
        if current is not None and RANK[current] >= RANK[level]:
            raise Conflict(
                f"该隐患已由{BODY_NAMES[current]}挂牌督办，不能改为{BODY_NAMES[level]}挂牌"
            )
        issued_at = data.issued_at or ctx.now
        if issued_at > ctx.now:
            raise FieldError("issued_at", "下达时间不能晚于当前时间")
        days = (data.deadline_on - issued_at.astimezone(SHANGHAI).date()).days
        if not 1 <= days <= LONGEST_DAYS:
            raise FieldError("deadline_on", f"整改期限须在下达之日后 1 至 {LONGEST_DAYS} 日内")
        h.listing_level, h.listing_notice_no, h.listing_body_id = level.value, data.notice_no, None
        h.listing_body_name = data.body_name or BODY_NAMES[level]
        if current is None:
            h.listed_at, h.listing_published = issued_at, False
            h.listing_published_at, h.original_deadline_at = None, None
        set_deadline(h, start=issued_at, days=days, kind=DeadlineKind.CALENDAR_DAYS)
        event = HazardEventType.LISTED if current is None else HazardEventType.LISTING_RAISED
        note = f"{DECIDER_NAMES[level]}挂牌督办决定（{data.notice_no}），经上级报送通道接收"
        return Outcome(None, event, extra=external_record(data), note=note)

    return change


def external_record(data: ExternalListingIn) -> dict[str, Any]:
    """What the audit keeps of the decision (the timeline shows where it came from)."""
    return {
        "external_decision": {
            "decided_by": data.decided_by.value,
            "decision_id": data.decision_id,
            "notice_no": data.notice_no,
            "deadline_on": data.deadline_on.isoformat(),
        }
    }
