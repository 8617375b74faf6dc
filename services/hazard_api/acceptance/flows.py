"""验收 verdicts and 销号 (write-off / delisting): changes for the transition kernel. Who may
verify and close (the supervising department; the listing body for a listed hazard) is the
authority table's answer; the verifier is never the rectifier."""

from __future__ import annotations

from services.hazard_api.acceptance.models import Acceptance, CloseIn, VerdictIn
from services.hazard_api.acceptance.service import is_rectifier, open_acceptance
from services.hazard_api.errors import Conflict, Forbidden
from services.hazard_api.hazards.deadlines import set_deadline
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Change, Context, Outcome
from shared.contract import DeadlineKind, HazardEventType, HazardStatus


def decide(data: VerdictIn) -> Change[Hazard, Acceptance]:
    """The reviewer's verdict: never the person who reported the rectification (16号令)."""

    async def change(h: Hazard, ctx: Context) -> Outcome[Acceptance]:
        if is_rectifier(h, ctx.user):
            raise Forbidden("验收人不能是整改申请人：须由挂牌单位或监管部门的其他人员验收")
        acceptance = await open_acceptance(session=ctx.session, hazard_id=h.id)
        if acceptance is None:  # pragma: no cover - the state says there is one
            raise Conflict("没有待验收的申请")
        acceptance.decided_at, acceptance.passed = ctx.now, data.passed
        acceptance.opinion = data.opinion
        acceptance.decided_by_user_id = ctx.user.id
        acceptance.decided_by_person_id = ctx.user.person_id
        h.acceptance_due_at = None
        if data.passed:
            h.status, h.accepted_at = HazardStatus.ACCEPTED.value, ctx.now
            h.accepted_by_user_id = ctx.user.id
            event = HazardEventType.ACCEPTED
        else:
            h.status = HazardStatus.RECTIFYING.value
            if data.redo_days is not None:
                kind = DeadlineKind(h.deadline_kind or DeadlineKind.CALENDAR_DAYS)
                set_deadline(h, start=ctx.now, days=data.redo_days, kind=kind)
            event = HazardEventType.ACCEPTANCE_FAILED
        return Outcome(
            acceptance,
            event,
            extra={"acceptance_round": acceptance.round, "opinion": data.opinion},
            note=data.opinion,
        )

    return change


def close(data: CloseIn) -> Change[Hazard, None]:
    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        if h.listing_level is not None:
            if data.delisting_notice_no is None:
                raise Conflict("摘牌销号须填写摘牌通知文号")
            h.delisting_notice_no = data.delisting_notice_no
        h.status, h.closed_at = HazardStatus.CLOSED.value, ctx.now
        h.closed_by_user_id = ctx.user.id
        return Outcome(
            None,
            HazardEventType.CLOSED,
            extra={"delisting_published": data.published} if h.listing_level else None,
            note=data.note,
        )

    return change
