"""延期: a unit asks for more time before its deadline; the supervisor (for a listed hazard,
the listing body) decides. Changes for the transition kernel."""

from __future__ import annotations

import uuid

from services.hazard_api.errors import Conflict, NotFound
from services.hazard_api.extensions.models import (
    DecisionIn,
    Extension,
    ExtensionIn,
    ExtensionStatus,
)
from services.hazard_api.extensions.service import of_hazard, pending
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Change, Context, Outcome
from shared.calendar import default_calendar
from shared.clock import local
from shared.contract import DeadlineKind, HazardEventType


def request(data: ExtensionIn) -> Change[Hazard, Extension]:
    async def change(h: Hazard, ctx: Context) -> Outcome[Extension]:
        if h.deadline_at is None:  # pragma: no cover - rectifying hazards always have one
            raise Conflict("该隐患没有整改期限，无需延期")
        settings = ctx.settings
        lead = (
            settings.extension_lead_workdays_listed
            if h.listing_level is not None
            else settings.extension_lead_workdays
        )
        calendar = default_calendar()
        left = calendar.workdays_between(local(ctx.now).date(), local(h.deadline_at).date()).count
        if left < lead:
            raise Conflict(
                f"延期申请须在整改期限届满前至少 {lead} 个工作日提出"
                f"（当前剩余 {max(left, 0)} 个工作日）"
            )
        if await pending(session=ctx.session, hazard_id=h.id) is not None:
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
            requested_at=ctx.now,
            requested_by_user_id=ctx.user.id,
        )
        ctx.session.add(ext)
        h.extension_requested_at = ctx.now  # the decision's clock starts
        return Outcome(
            ext,
            HazardEventType.EXTENSION_REQUESTED,
            extra={
                "extension_id": ext.id,
                "proposed_deadline_at": proposed.at.isoformat(),
                "reason": data.reason,
            },
            note=data.reason,
        )

    return change


def decide(extension_id: str, data: DecisionIn) -> Change[Hazard, Extension]:
    async def change(h: Hazard, ctx: Context) -> Outcome[Extension]:
        ext = await of_hazard(session=ctx.session, hazard_id=h.id, extension_id=extension_id)
        if ext is None:
            raise NotFound("延期申请不存在")
        if ext.status != ExtensionStatus.PENDING.value:
            raise Conflict("该延期申请已审批，不能重复审批")
        ext.decided_at, ext.decided_by_user_id, ext.opinion = ctx.now, ctx.user.id, data.opinion
        h.extension_requested_at = None
        if data.approve:
            if ext.provisional and h.deadline_at is not None:
                # Proposed on an estimate: the official schedule may be out since (and may
                # have moved the deadline it extends), so count it again now.
                again = default_calendar().deadline_after(
                    h.deadline_at, ext.days, DeadlineKind(ext.kind)
                )
                ext.previous_deadline_at = h.deadline_at
                ext.proposed_deadline_at, ext.provisional = again.at, again.provisional
            ext.status = ExtensionStatus.APPROVED.value
            h.deadline_at, h.deadline_kind = ext.proposed_deadline_at, ext.kind
            h.deadline_days, h.deadline_provisional = ext.days, ext.provisional
            h.deadline_start_at = ext.previous_deadline_at  # what the extension counts from
            event = HazardEventType.EXTENSION_APPROVED
        else:
            ext.status = ExtensionStatus.REJECTED.value
            event = HazardEventType.EXTENSION_REJECTED
        return Outcome(
            ext,
            event,
            extra={"extension_id": ext.id, "opinion": data.opinion},
            note=data.opinion,
        )

    return change
