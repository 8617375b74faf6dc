"""Accident reads and pure helpers: scoped look-ups, the class of a report's figures, the 漏报
items, the clocks and the response body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.accidents import clocks
from services.hazard_api.accidents.classes import (
    INVESTIGATION_LEVEL_LABELS,
    Casualties,
    classify,
)
from services.hazard_api.accidents.models import Accident, AccidentReport
from services.hazard_api.accidents.schemas import (
    CHANNEL_LABELS,
    AccidentOut,
    CasualtiesIn,
    Channel,
    ClockOut,
)
from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.db import outbox_tables
from services.hazard_api.errors import NotFound
from shared.accident_labels import ACCIDENT_CLASS_LABELS, ACCIDENT_STATUS_LABELS
from shared.clock import local
from shared.contract import (
    ACCIDENT_EVENTS,
    AccidentClass,
    AccidentEvent,
    AccidentEventType,
    AccidentFacts,
    AccidentReportFacts,
    AccidentStatus,
    Envelope,
    Producer,
)
from shared.labels import beijing_time, label
from shared.outbox import add_event

NOT_FOUND = "事故不存在或不在您的管辖范围内"
CASUALTY_FIELDS = (
    "deaths",
    "missing",
    "serious_injuries",
    "minor_injuries",
    "trapped",
    "poisoned",
    "direct_loss_yuan",
)


def class_of(figures: Any, *, missing_count_as_deaths: bool) -> AccidentClass:
    """The class the figures give (a figure not reported counts as none)."""
    return classify(
        Casualties(
            deaths=figures.deaths or 0,
            missing=figures.missing or 0,
            serious_injuries=figures.serious_injuries or 0,
            direct_loss_yuan=figures.direct_loss_yuan or 0,
        ),
        missing_count_as_deaths=missing_count_as_deaths,
    )


def missing_items(data: CasualtiesIn, accident_type: str | None) -> list[str]:
    """漏报: the required contents (应急管理部令第14号) a first report left out."""
    items: list[str] = []
    if accident_type is None:
        items.append("事故类别")
    if data.deaths is None or data.serious_injuries is None or data.missing is None:
        items.append("伤亡人数（死亡、失踪、重伤）")
    if data.direct_loss_yuan is None:
        items.append("初步估计的直接经济损失")
    return items


def accident_clocks(a: Accident, now: datetime) -> list[clocks.Clock]:
    cls = AccidentClass(a.accident_class)
    upward_due = clocks.upward_report_due(a.received_at)
    upward_title = "向设区的市级人民政府安全生产监督管理部门上报"
    if cls != AccidentClass.GENERAL:
        upward_title += "（并报省级）"
    window_end = clocks.supplement_window_end(a.occurred_at, a.accident_type)
    found = [
        clocks.Clock(
            "upward_report",
            upward_title,
            upward_due,
            clocks.state(upward_due, a.upward_reported_at, now),
        ),
        clocks.Clock(
            "supplement_window",
            f"伤亡人数变化补报期（{clocks.supplement_window_days(a.accident_type)}日）",
            window_end,
            clocks.ClockState.DONE if now > window_end else clocks.ClockState.PENDING,
        ),
    ]
    inv_due = clocks.investigation_due(a.occurred_at, a.investigation_extension_days)
    found.append(
        clocks.Clock(
            "investigation_report",
            "提交事故调查报告",
            inv_due,
            clocks.state(inv_due, a.investigation_reported_at, now),
        )
    )
    if a.investigation_reported_at is not None:
        dec_due = clocks.decision_due(a.investigation_reported_at, cls, a.decision_extension_days)
        found.append(
            clocks.Clock(
                "decision", "批复事故调查报告", dec_due, clocks.state(dec_due, a.decided_at, now)
            )
        )
    return found


# 四不放过, in the order the close checks them: (key, the item once recorded, the close's words
# while it is missing).
FOUR_ITEMS = (
    ("cause", "事故原因查清（调查报告）", "事故原因未查清（调查报告）"),
    ("accountability", "事故责任者受到处理", "事故责任者未受到处理"),
    ("education", "事故责任者和群众（从业人员）受到教育", "事故责任者和群众（从业人员）未受到教育"),
    ("measures", "防范和整改措施落实", "防范和整改措施未落实"),
)


def four_done(a: Accident) -> dict[str, bool]:
    """Which of 四不放过 are recorded, by key."""
    return {
        "cause": a.cause is not None,
        "accountability": bool(a.accountability),
        "education": a.education is not None,
        "measures": bool(a.measures),
    }


def four_items(a: Accident) -> list[dict[str, Any]]:
    done = four_done(a)
    return [{"key": k, "label": label, "done": done[k]} for k, label, _ in FOUR_ITEMS]


def four_missing(a: Accident) -> list[str]:
    done = four_done(a)
    return [missing for k, _, missing in FOUR_ITEMS if not done[k]]


def flags_in_words(a: Accident) -> list[str]:
    words: list[str] = []
    if a.late_minutes is not None:
        words.append(f"迟报（事故发生后{a.late_minutes}分钟报告）")
    if a.missing_items:
        words.append("漏报：" + "、".join(a.missing_items))
    if a.concealment_review:
        words.append("疑似瞒报，待县安委办核查")
    for f in a.findings:
        words.append(
            {"false_report": "认定谎报", "concealment": "认定瞒报"}.get(f["kind"], "核查无谎报瞒报")
        )
    return words


def accident_out(a: Accident, now: datetime) -> AccidentOut:
    return AccidentOut(
        id=a.id,
        code=a.code,
        status=AccidentStatus(a.status),
        status_label=label(ACCIDENT_STATUS_LABELS, a.status),
        unit_id=a.unit_id,
        unit_name=a.unit_name,
        credit_code=a.credit_code,
        industry_code=a.industry_code,
        township_id=a.township_id,
        area_code=a.area_code,
        place=a.place,
        accident_type=a.accident_type,
        occurred_at=a.occurred_at,
        received_at=a.received_at,
        channel=a.channel,
        channel_label=CHANNEL_LABELS.get(Channel(a.channel), a.channel),
        deaths=a.deaths,
        missing=a.missing,
        serious_injuries=a.serious_injuries,
        minor_injuries=a.minor_injuries,
        trapped=a.trapped,
        poisoned=a.poisoned,
        direct_loss_yuan=a.direct_loss_yuan,
        accident_class=AccidentClass(a.accident_class),
        class_label=label(ACCIDENT_CLASS_LABELS, a.accident_class),
        investigation_level=a.investigation_level,
        investigation_level_label=INVESTIGATION_LEVEL_LABELS[a.investigation_level],
        late_minutes=a.late_minutes,
        missing_items=list(a.missing_items),
        concealment_review=a.concealment_review,
        findings=list(a.findings),
        flags=flags_in_words(a),
        upward_reported_at=a.upward_reported_at,
        clocks=[
            ClockOut(
                key=c.key,
                title=c.title,
                due_at=c.due_at,
                due_label=beijing_time(c.due_at),
                state=c.state.value,
                state_label=clocks.CLOCK_STATE_LABELS[c.state],
            )
            for c in accident_clocks(a, now)
        ],
        four_items=four_items(a),
        closed_at=a.closed_at,
    )


def facts(a: Accident, *, actor_person_id: str | None) -> AccidentFacts:
    inv_due = clocks.investigation_due(a.occurred_at, a.investigation_extension_days)
    dec_due = (
        clocks.decision_due(
            a.investigation_reported_at,
            AccidentClass(a.accident_class),
            a.decision_extension_days,
        )
        if a.investigation_reported_at is not None
        else None
    )
    return AccidentFacts(
        accident_id=a.id,
        code=a.code,
        status=AccidentStatus(a.status),
        accident_class=AccidentClass(a.accident_class),
        investigation_level=a.investigation_level,
        unit_id=a.unit_id,
        unit_name=a.unit_name,
        area_code=a.area_code,
        industry_code=a.industry_code,
        township_id=a.township_id,
        department_ids=list(a.department_ids),
        accident_type=a.accident_type,
        occurred_at=a.occurred_at,
        received_at=a.received_at,
        channel=a.channel,
        deaths=a.deaths,
        missing=a.missing,
        serious_injuries=a.serious_injuries,
        direct_loss_yuan=a.direct_loss_yuan,
        late_minutes=a.late_minutes,
        missing_items=list(a.missing_items),
        concealment_review=a.concealment_review,
        upward_reported_at=a.upward_reported_at,
        investigation_due_at=inv_due,
        investigation_reported_at=a.investigation_reported_at,
        decision_due_at=dec_due,
        actor_person_id=actor_person_id,
    )


def snapshot(a: Accident) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "status": a.status,
        "accident_class": a.accident_class,
        "investigation_level": a.investigation_level,
        **{f: getattr(a, f) for f in CASUALTY_FIELDS},
        "late_minutes": a.late_minutes,
        "missing_items": list(a.missing_items or []),
        "concealment_review": a.concealment_review,
        "upward_reported_at": iso(a.upward_reported_at),
        "investigation_extension_days": a.investigation_extension_days,
        "investigation_reported_at": iso(a.investigation_reported_at),
        "decision_extension_days": a.decision_extension_days,
        "decided_at": iso(a.decided_at),
        "four_items": four_done(a),
        "closed_at": iso(a.closed_at),
    }


def code_for(accident_id: str, occurred_at: datetime) -> str:
    """事故编号 SG-<year>-<8 hex of the id>: unique without a counter to race on."""
    return f"SG-{local(occurred_at).year}-{accident_id.replace('-', '')[:8].upper()}"


async def get_scoped(*, session: AsyncSession, user: AuthUser, accident_id: str) -> Accident:
    a = await session.scalar(
        select(Accident).where(Accident.id == accident_id, in_scope(user, Accident.unit_id))
    )
    if a is None:
        raise NotFound(NOT_FOUND)
    return a


async def reports_of(*, session: AsyncSession, accident_id: str) -> list[AccidentReport]:
    rows = await session.scalars(
        select(AccidentReport)
        .where(AccidentReport.accident_id == accident_id)
        .order_by(AccidentReport.seq)
    )
    return list(rows)


async def list_accidents(
    *, session: AsyncSession, user: AuthUser, code: str | None = None
) -> list[Accident]:
    query = select(Accident).where(in_scope(user, Accident.unit_id))
    if code is not None:
        query = query.where(Accident.code == code.strip().upper())
    rows = await session.scalars(query.order_by(Accident.occurred_at.desc()).limit(500))
    return list(rows)


def envelope_of(
    a: Accident,
    event: str,
    user: AuthUser,
    now: datetime,
    note: str | None,
    *,
    report: AccidentReportFacts | None = None,
) -> Envelope:
    payload = AccidentEvent(
        event=AccidentEventType(event),
        facts=facts(a, actor_person_id=user.person_id),
        note=note,
        report=report,
    )
    return Envelope.of(payload, aggregate_id=a.id, producer=Producer.HAZARD_API, occurred_at=now)


async def emit(
    session: AsyncSession,
    a: Accident,
    event: str,
    user: AuthUser,
    now: datetime,
    note: str | None,
    *,
    report: AccidentReportFacts | None = None,
) -> None:
    """A further event in the transaction (a flag raised beside the transition's own), or a
    transition's own event when it carries more than the accident's facts."""
    envelope = envelope_of(a, event, user, now, note, report=report)
    await add_event(session, outbox_tables.outbox, envelope, ACCIDENT_EVENTS, now=now)
