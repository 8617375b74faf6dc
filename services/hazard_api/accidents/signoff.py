"""A report's sign-off (拟稿 → 核稿 → 签发). Only a signed-off report counts as sent upward: its
`accident.report_issued` event carries that report's own contents, from which the reporting
service builds the document the city and province receive."""

from __future__ import annotations

from datetime import datetime

from services.hazard_api.accidents.models import Accident, AccidentReport
from services.hazard_api.accidents.service import CASUALTY_FIELDS, emit
from services.hazard_api.errors import Conflict, NotFound
from services.hazard_api.items.kernel import Change, Context, Outcome
from shared.contract import AccidentClass, AccidentEventType, AccidentReportFacts


async def _report(a: Accident, ctx: Context, report_id: str) -> AccidentReport:
    r = await ctx.session.get(AccidentReport, report_id)
    if r is None or r.accident_id != a.id:
        raise NotFound("该事故没有这份报告")
    return r


def report_facts(r: AccidentReport, issued_at: datetime) -> AccidentReportFacts:
    return AccidentReportFacts(
        report_id=r.id,
        seq=r.seq,
        kind=r.kind,
        received_at=r.received_at,
        channel=r.channel,
        account=r.account,
        measures_taken=r.measures_taken,
        **{f: getattr(r, f) for f in CASUALTY_FIELDS},
        class_after=AccidentClass(r.class_after),
        within_window=r.within_window,
        moved_class=r.moved_class,
        issued_at=issued_at,
    )


def review_report(report_id: str) -> Change[Accident, AccidentReport]:
    """核稿."""

    async def change(a: Accident, ctx: Context) -> Outcome[AccidentReport]:
        r = await _report(a, ctx, report_id)
        if r.signoff != "drafted":
            raise Conflict("该报告已核稿，不能重复核稿")
        r.signoff, r.reviewed_by_user_id = "reviewed", ctx.user.id
        return Outcome(r, audit_action="accident.report_reviewed", extra={"report_id": r.id})

    return change


def issue_report(report_id: str) -> Change[Accident, AccidentReport]:
    """签发: the report counts as sent upward; the first one stops the 2-hour clock."""

    async def change(a: Accident, ctx: Context) -> Outcome[AccidentReport]:
        r = await _report(a, ctx, report_id)
        if r.signoff == "drafted":
            raise Conflict("报告须先核稿再签发")
        if r.signoff == "issued":
            raise Conflict("该报告已签发")
        if r.reviewed_by_user_id == ctx.user.id:
            raise Conflict("核稿人与签发人不能为同一账号")
        r.signoff, r.issued_by_user_id, r.issued_at = "issued", ctx.user.id, ctx.now
        if a.upward_reported_at is None:
            a.upward_reported_at = ctx.now
        # The event is sent here rather than by the kernel because it carries the report, which
        # the accident's own facts do not (a later 续报 may already have changed its figures);
        # the kernel still writes the audit row under the same action.
        await emit(
            ctx.session,
            a,
            AccidentEventType.REPORT_ISSUED,
            ctx.user,
            ctx.now,
            None,
            report=report_facts(r, ctx.now),
        )
        return Outcome(
            r, audit_action=AccidentEventType.REPORT_ISSUED.value, extra={"report_id": r.id}
        )

    return change
