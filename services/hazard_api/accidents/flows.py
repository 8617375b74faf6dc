"""Accident changes for the transition kernel: reports (their sign-off: signoff.py), flags, the
investigation and its decision, the 四不放过 records and the close."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from services.hazard_api.accidents import clocks
from services.hazard_api.accidents.classes import INVESTIGATION_LEVEL
from services.hazard_api.accidents.models import Accident, AccidentReport
from services.hazard_api.accidents.schemas import (
    AccountabilityIn,
    Channel,
    DecisionIn,
    EducationIn,
    ExtensionIn,
    FindingIn,
    FollowUpIn,
    InvestigationIn,
    MeasuresIn,
    QuickReportIn,
    ReportKind,
)
from services.hazard_api.accidents.service import (
    CASUALTY_FIELDS,
    class_of,
    emit,
    four_missing,
)
from services.hazard_api.errors import Conflict, FieldError
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Change, Context, Outcome
from shared.accident_labels import ACCIDENT_CLASS_LABELS, ACCIDENT_REPORT_KIND_LABELS
from shared.contract import AccidentClass, AccidentEventType, AccidentStatus, HazardStatus

Ev = AccidentEventType
# Received before the clock's now by at most this much is fine; a receipt in the future is not.
_CLOCK_SKEW_S = 300
# An accident reported more than a year after it happened is a mistyped year (1990 for 2026)
# far likelier than a concealed one found so late, and its report would tell the whole chain
# 「立即做好救援处置」.
_OLDEST = timedelta(days=366)


def check_times(occurred_at: datetime, received_at: datetime, now: datetime) -> None:
    if (occurred_at - now).total_seconds() > _CLOCK_SKEW_S:
        raise FieldError("occurred_at", "事故发生时间不能晚于当前时间")
    if received_at - occurred_at > _OLDEST:
        raise FieldError("occurred_at", "事故发生时间早于接报时间一年以上，请核对年份")
    if (received_at - now).total_seconds() > _CLOCK_SKEW_S:
        raise FieldError("received_at", "接报时间不能晚于当前时间")
    if received_at < occurred_at:
        raise FieldError("received_at", "接报时间不能早于事故发生时间")


def new_report(
    accident_id: str,
    seq: int,
    kind: ReportKind,
    data: QuickReportIn | FollowUpIn,
    *,
    received_at: datetime,
    within_window: bool,
    class_after: AccidentClass,
    user_id: str,
) -> AccidentReport:
    return AccidentReport(
        id=str(uuid.uuid4()),
        accident_id=accident_id,
        seq=seq,
        kind=kind.value,
        received_at=received_at,
        channel=data.channel.value,
        account=data.account,
        measures_taken=data.measures_taken,
        **{f: getattr(data, f) for f in CASUALTY_FIELDS},
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        within_window=within_window,
        class_after=class_after.value,
        moved_class=False,
        signoff="drafted",
        created_by_user_id="",
    )


def late_flag(a: Accident, received_at: datetime) -> int | None:
    """迟报 of the enterprise's first report: its delay when past the hour."""
    return clocks.late_minutes(a.occurred_at, received_at)


def follow_up(data: FollowUpIn) -> Change[Accident, AccidentReport]:
    """续报/补报: the latest figures; within the window (30 days, 7 for road traffic and fire)
    they may move the statutory class and with it who investigates; after it they are recorded
    and the class stays."""

    async def change(a: Accident, ctx: Context) -> Outcome[AccidentReport]:
        received_at = data.received_at or ctx.now
        check_times(a.occurred_at, received_at, ctx.now)
        within = received_at <= clocks.supplement_window_end(a.occurred_at, a.accident_type)
        for f in CASUALTY_FIELDS:
            if getattr(data, f) is not None:
                setattr(a, f, getattr(data, f))
        computed = class_of(
            a, missing_count_as_deaths=ctx.settings.accident_missing_count_as_deaths
        )
        seq = await ctx.session.scalar(
            select(func.count())
            .select_from(AccidentReport)
            .where(AccidentReport.accident_id == a.id)
        )
        report = new_report(
            a.id,
            (seq or 0) + 1,
            data.kind,
            data,
            received_at=received_at,
            within_window=within,
            class_after=computed,
            user_id=ctx.user.id,
        )
        report.created_by_user_id = ctx.user.id
        ctx.session.add(report)
        notes: list[str] = []
        if data.channel == Channel.ENTERPRISE and a.enterprise_reported_at is None:
            a.enterprise_reported_at = received_at
            a.late_minutes = late_flag(a, received_at)
            if a.late_minutes is not None:
                await emit(
                    ctx.session,
                    a,
                    Ev.LATE_FLAGGED,
                    ctx.user,
                    ctx.now,
                    f"企业迟报：事故发生后{a.late_minutes}分钟报告",
                )
        a.missing_items = [i for i in a.missing_items if not _now_given(i, a)]
        event = Ev.FOLLOW_UP
        old = a.accident_class
        if within and computed.value != old:
            a.accident_class = computed.value
            a.investigation_level = INVESTIGATION_LEVEL[computed]
            event = Ev.CLASS_CHANGED
            report.moved_class = True
            notes.append(
                f"事故等级由{ACCIDENT_CLASS_LABELS[old]}变为{ACCIDENT_CLASS_LABELS[computed]}"
            )
        elif not within and computed.value != old:
            notes.append(
                f"补报期已过，按本次数字应为{ACCIDENT_CLASS_LABELS[computed]}，法定等级不变"
            )
        return Outcome(
            report,
            event=event,
            extra={"report_id": report.id, "report_kind": data.kind.value, "within_window": within},
            note="；".join(notes) or None,
        )

    return change


def _now_given(item: str, a: Accident) -> bool:
    if item.startswith("伤亡人数"):
        return None not in (a.deaths, a.missing, a.serious_injuries)
    if item.startswith("初步估计"):
        return a.direct_loss_yuan is not None
    return False


def record_finding(data: FindingIn) -> Change[Accident, None]:
    """谎报/瞒报 finding by a person with evidence; closes the 瞒报 review."""

    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        a.findings = [
            *a.findings,
            {
                "kind": data.kind,
                "note": data.note,
                "evidence": data.evidence,
                "by": ctx.user.id,
                "at": ctx.now.isoformat(),
            },
        ]
        a.concealment_review = False
        return Outcome(None, event=Ev.FINDING_RECORDED, note=data.note)

    return change


def extend_investigation(data: ExtensionIn) -> Change[Accident, None]:
    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        if a.investigation_extension_days:
            raise Conflict("事故调查期限只能延长一次")
        a.investigation_extension_days = data.days
        return Outcome(
            None, event=Ev.INVESTIGATION_EXTENDED, note=f"{data.approval_no}：延长{data.days}日"
        )

    return change


def submit_investigation(data: InvestigationIn) -> Change[Accident, None]:
    """The investigation report: the cause established (四不放过 1); the decision clock starts."""

    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        a.cause = data.model_dump()
        a.investigation_reported_at = ctx.now
        a.status = AccidentStatus.INVESTIGATION_REPORTED.value
        return Outcome(None, event=Ev.INVESTIGATION_REPORTED, note=data.report_no)

    return change


def extend_decision(data: ExtensionIn) -> Change[Accident, None]:
    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        if a.accident_class != AccidentClass.ESPECIALLY_MAJOR.value:
            raise Conflict("只有特别重大事故的批复期限可以延长")
        if a.decision_extension_days:
            raise Conflict("批复期限只能延长一次")
        if data.days > clocks.DECISION_EXTENSION_MAX_DAYS:
            raise FieldError("days", "批复期限最多延长30日")
        a.decision_extension_days = data.days
        return Outcome(
            None, event=Ev.DECISION_EXTENDED, note=f"{data.approval_no}：延长{data.days}日"
        )

    return change


def decide(data: DecisionIn) -> Change[Accident, None]:
    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        a.decision = data.model_dump()
        a.decided_at = ctx.now
        a.status = AccidentStatus.DECIDED.value
        return Outcome(None, event=Ev.DECIDED, note=data.decision_no)

    return change


def record(field: str, data: AccountabilityIn | EducationIn) -> Change[Accident, None]:
    """四不放过 2 and 3: the persons dealt with; the education given."""

    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        value: Any = data.model_dump()
        if isinstance(data, AccountabilityIn):
            value = [p | {"evidence": data.evidence} for p in value["persons"]]
        setattr(a, field, value)
        return Outcome(None, audit_action=f"accident.{field}_recorded")

    return change


_ACCEPTED = (HazardStatus.ACCEPTED.value, HazardStatus.CLOSED.value)


def record_measures(data: MeasuresIn) -> Change[Accident, None]:
    """四不放过 4: each measure is a hazard of its own that passed acceptance."""

    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        for i, m in enumerate(data.measures):
            h = await ctx.session.get(Hazard, m.hazard_id)
            if h is None or h.unit_id != a.unit_id:
                raise FieldError(
                    f"measures[{i}].hazard_id", f"隐患{m.hazard_id}不存在或不属于事故单位"
                )
            if h.status not in _ACCEPTED:
                raise Conflict(f"整改措施“{m.description}”对应的隐患{h.code}尚未验收通过")
        a.measures = [m.model_dump() | {"evidence": data.evidence} for m in data.measures]
        return Outcome(None, audit_action="accident.measures_recorded")

    return change


def close() -> Change[Accident, None]:
    """结案, only with all four of 四不放过 recorded (409 naming each one missing) and every
    report signed off: a report still in draft never went upward."""

    async def change(a: Accident, ctx: Context) -> Outcome[None]:
        missing = four_missing(a)
        if missing:
            raise Conflict("四不放过未落实，不能结案：" + "；".join(missing))
        drafts = await ctx.session.scalars(
            select(AccidentReport)
            .where(AccidentReport.accident_id == a.id, AccidentReport.signoff != "issued")
            .order_by(AccidentReport.seq)
        )
        if unsent := [f"第{r.seq}份报告（{ACCIDENT_REPORT_KIND_LABELS[r.kind]}）" for r in drafts]:
            raise Conflict("尚有报告未核稿、签发（未向上级报告），不能结案：" + "、".join(unsent))
        a.status, a.closed_at = AccidentStatus.CLOSED.value, ctx.now
        return Outcome(None, event=Ev.CLOSED)

    return change
