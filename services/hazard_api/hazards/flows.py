"""The hazard's own changes: classify, propose, reclassify, void, plan, rectify, apply for
acceptance. Each is a `Change` for the transition kernel (`items.kernel`), which locks the
hazard, checks authority and state, audits, queues the event and commits around it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.acceptance.service import open_round
from services.hazard_api.criteria.service import catalogue
from services.hazard_api.errors import Conflict, FieldError
from services.hazard_api.evidence.service import bind_attachments
from services.hazard_api.extensions.service import withdraw_pending
from services.hazard_api.hazards.deadlines import set_classified_deadline
from services.hazard_api.hazards.models import Hazard, TreatmentPlan
from services.hazard_api.hazards.schemas import (
    ClassifyIn,
    PlanIn,
    ProposalIn,
    ReclassifyIn,
    RectifiedIn,
    VoidIn,
)
from services.hazard_api.hazards.states import Action
from services.hazard_api.items.kernel import Change, Context, Outcome
from shared.contract import HazardEventType, HazardLevel, HazardStatus

# Why a pending 延期 request is withdrawn with the transition (its decision needs 整改中).
WITHDRAWN_BY_VOID = "隐患已作废，待审批的延期申请自动撤回"
WITHDRAWN_BY_REPORT = "已申请验收，待审批的延期申请自动撤回"
WITHDRAWN_BY_RECLASSIFY = "隐患已改判并重新确定整改期限，待审批的延期申请自动撤回"


def _check_criterion(criterion_id: str, industry_code: str | None) -> int:
    """The catalogue version in force, if the criterion is in it and fits the industry."""
    cat = catalogue()
    if cat.get(criterion_id) is None:
        raise FieldError("criterion_id", "判定依据不在现行判定标准目录中")
    if not cat.applies(criterion_id, industry_code):
        raise FieldError("criterion_id", "该判定依据不适用于本单位所属行业")
    return cat.version


def classify_action(data: ClassifyIn) -> Action:
    major = data.level == HazardLevel.MAJOR
    return Action.CLASSIFY_MAJOR if major else Action.CLASSIFY_GENERAL


def _set_level(h: Hazard, data: ClassifyIn, ctx: Context) -> None:
    version = None
    if data.criterion_id is not None:
        version = _check_criterion(data.criterion_id, h.industry_code)
    h.level, h.grade, h.criterion_id = data.level.value, data.grade, data.criterion_id
    h.criterion_version = version
    h.classified_at, h.classified_by_user_id = ctx.now, ctx.user.id
    set_classified_deadline(
        h,
        level=data.level,
        start=ctx.now,
        days=data.deadline_days,
        kind=data.deadline_kind,
        settings=ctx.settings,
    )


def classify(data: ClassifyIn) -> Change[Hazard, None]:
    """判定: level (and grade and criterion for a major hazard) and the rectification deadline,
    set by the classifier within the county maximum for the level."""

    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        _set_level(h, data, ctx)
        h.status = HazardStatus.CLASSIFIED.value
        return Outcome(None, HazardEventType.CLASSIFIED)

    return change


def propose_major(data: ProposalIn) -> Change[Hazard, None]:
    """判定建议: recorded on the hazard (audited); the hazard stays to be classified."""

    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        _check_criterion(data.criterion_id, h.industry_code)
        h.proposed_grade, h.proposed_criterion_id = data.grade, data.criterion_id
        h.proposal_reason, h.proposed_at, h.proposed_by_user_id = data.reason, ctx.now, ctx.user.id
        return Outcome(None, audit_action="hazard.major_proposed", extra={"reason": data.reason})

    return change


def reclassify(data: ReclassifyIn) -> Change[Hazard, None]:
    """改判 一般 ↔ 重大: new level, new deadline from now; a hazard made major without a
    treatment plan goes back to 已判定 (no rectification without a plan)."""

    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        if h.level == data.level.value:
            raise Conflict("改判须改变隐患等级（一般 ↔ 重大）")
        h.original_deadline_at = None  # the new order sets the baseline
        _set_level(h, data, ctx)
        plan = await ctx.session.get(TreatmentPlan, h.id)
        if data.level == HazardLevel.MAJOR and plan is None:
            h.status = HazardStatus.CLASSIFIED.value
        # The request extends the deadline this order replaces.
        withdrawn = await withdraw_pending(h, ctx, WITHDRAWN_BY_RECLASSIFY)
        return Outcome(
            None,
            HazardEventType.RECLASSIFIED,
            extra={"reason": data.reason} | (withdrawn or {}),
            note=data.reason,
        )

    return change


def void(data: VoidIn) -> Change[Hazard, None]:
    """作废 (terminal): the record and its history stay."""

    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        h.status = HazardStatus.VOIDED.value
        h.voided_at, h.voided_by_user_id, h.void_reason = ctx.now, ctx.user.id, data.reason
        h.acceptance_due_at = None
        withdrawn = await withdraw_pending(h, ctx, WITHDRAWN_BY_VOID)
        return Outcome(None, HazardEventType.VOIDED, extra=withdrawn, note=data.reason)

    return change


async def _save_plan(h: Hazard, data: PlanIn, ctx: Context) -> TreatmentPlan:
    plan = await ctx.session.get(TreatmentPlan, h.id)
    fields = data.model_dump()
    if plan is None:
        plan = TreatmentPlan(
            hazard_id=h.id, **fields, submitted_at=ctx.now, submitted_by_user_id=ctx.user.id
        )
        ctx.session.add(plan)
    else:
        for key, value in fields.items():
            setattr(plan, key, value)
        plan.submitted_at, plan.submitted_by_user_id = ctx.now, ctx.user.id
    return plan


def submit_plan(data: PlanIn) -> Change[Hazard, TreatmentPlan]:
    """治理方案 (six parts) of a major hazard; may be revised while rectifying. Audited like a
    transition, no event: nothing to chase."""

    async def change(h: Hazard, ctx: Context) -> Outcome[TreatmentPlan]:
        if h.level != HazardLevel.MAJOR.value:
            raise Conflict("只有重大事故隐患需要制定治理方案")
        plan = await _save_plan(h, data, ctx)
        return Outcome(
            plan, audit_action="hazard.plan_submitted", extra={"plan": data.model_dump()}
        )

    return change


async def _has_plan(session: AsyncSession, h: Hazard) -> bool:
    return await session.get(TreatmentPlan, h.id) is not None


def start_rectification(note: str | None) -> Change[Hazard, None]:
    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        if h.level == HazardLevel.MAJOR.value and not await _has_plan(ctx.session, h):
            raise Conflict(
                "重大事故隐患须先提交治理方案（目标任务、方法措施、经费物资、机构人员、"
                "时限要求、安全措施和应急预案）才能开始整改"
            )
        h.status, h.rectification_started_at = HazardStatus.RECTIFYING.value, ctx.now
        return Outcome(None, HazardEventType.RECTIFICATION_STARTED, note=note)

    return change


def report_rectification(data: RectifiedIn, *, on_the_spot: bool = False) -> Change[Hazard, None]:
    """申请验收 after rectifying, or 立查立改 for a general hazard fixed when found: the
    evidence goes with the application, someone else verifies."""

    async def change(h: Hazard, ctx: Context) -> Outcome[None]:
        if on_the_spot:
            h.level, h.on_the_spot = HazardLevel.GENERAL.value, True
            h.classified_at, h.classified_by_user_id = ctx.now, ctx.user.id
        acceptance = await open_round(
            h, data, session=ctx.session, user=ctx.user, now=ctx.now, settings=ctx.settings
        )
        await bind_attachments(
            ctx.session,
            hazard_id=h.id,
            attachment_ids=data.attachment_ids,
            acceptance_id=acceptance.id,
        )
        h.status = HazardStatus.RECTIFICATION_REPORTED.value
        h.rectification_reported_at = ctx.now
        h.rectification_reported_by_user_id = ctx.user.id
        h.rectification_reported_by_person_id = ctx.user.person_id
        h.acceptance_due_at = acceptance.due_at
        h.funds_spent = data.funds_spent
        withdrawn = await withdraw_pending(h, ctx, WITHDRAWN_BY_REPORT)
        return Outcome(
            None,
            HazardEventType.RECTIFICATION_REPORTED,
            extra={
                "acceptance_round": acceptance.round,
                "summary": data.summary,
                "attachment_ids": sorted(data.attachment_ids),
                "on_the_spot": on_the_spot,
            }
            | (withdrawn or {}),
            note="立查立改" if on_the_spot else None,
        )

    return change
