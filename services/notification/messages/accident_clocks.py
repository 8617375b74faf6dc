"""An accident's statutory clocks as a person reads them (#15): which clock, by when, for whom.

Escalation's accident policy names its steps by clock (`upward_…`, `supplement_…`,
`investigation_…`, `decision_…`, `items_…`). The text says what is due by which Beijing time
and which body answers for it: the investigation and its 批复 belong to the government of the
investigation level (一般 the county, 较大 the city, 重大 the province, 特别重大 the State
Council); the upward report goes to the city (较大 and above also to the province). Each part
stays within a provider's 35 characters a variable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notification.messages.duties import Duty
from shared.clock import local
from shared.contract import AccidentClass, AccidentFacts, StepFired

INVESTIGATING_BODY = {
    "county": "县级调查组",
    "city": "市级调查组",
    "province": "省级调查组",
    "state_council": "国务院调查组",
}
DECIDING_BODY = {
    "county": "县人民政府",
    "city": "市人民政府",
    "province": "省人民政府",
    "state_council": "国务院",
}
OVERDUE = "accident_clock_overdue"
UPWARD_REPORT = timedelta(hours=2)  # 第九条: from receipt (escalation chases the same time)


def clock_of(step_key: str) -> str:
    return step_key.split("_", 1)[0]


def _minute(at: datetime) -> str:
    t = local(at)
    return f"{t.month}月{t.day}日{t.hour}时{t.minute:02d}分"


def _day(at: datetime) -> str:
    t = local(at)
    return f"{t.month}月{t.day}日"


def upward_to(a: AccidentFacts) -> str:
    if a.accident_class is AccidentClass.GENERAL:
        return "市应急管理局"
    return "市、省应急管理部门"


def _facts(step: StepFired) -> AccidentFacts:
    assert step.accident is not None
    return step.accident


def work_of(step: StepFired) -> tuple[str, str | None]:
    """What the clock asks to be done, and by when (Beijing time), if it has a due time."""
    a = _facts(step)
    match clock_of(step.step_key):
        case "upward":
            return f"向{upward_to(a)}上报事故信息", _minute(a.received_at + UPWARD_REPORT)
        case "supplement":
            return "补报伤亡人数变化情况", None
        case "investigation":
            due = a.investigation_due_at
            body = INVESTIGATING_BODY.get(a.investigation_level, "调查组")
            return f"提交事故调查报告（{body}）", _day(due) if due else None
        case "decision":
            due = a.decision_due_at
            body = DECIDING_BODY.get(a.investigation_level, "人民政府")
            return f"对调查报告作出批复（{body}）", _day(due) if due else None
        case _:
            return "补报快报缺项", None


def clock_status(step: StepFired, now: datetime) -> str:
    """「3月9日23时00分发生，上报期限3月10日1时10分，已超时」: the accident, its clock."""
    a = _facts(step)
    overdue = step.action.value == OVERDUE
    late = "，已逾期" if overdue else ""
    match clock_of(step.step_key):
        case "upward":
            due = _minute(a.received_at + UPWARD_REPORT)
            state = f"上报期限{due}" + ("，已超时" if overdue else "")
            return f"{_minute(a.occurred_at)}发生，{state}"
        case "supplement" if overdue:
            return f"{_day(a.occurred_at)}发生，补报期已届满"
        case "supplement":
            return f"{_day(a.occurred_at)}发生，补报期即将届满"
        case "investigation" if a.investigation_due_at is not None:
            return f"{_day(a.occurred_at)}发生，调查报告期限{_day(a.investigation_due_at)}{late}"
        case "decision" if a.decision_due_at is not None:
            return f"{_day(a.occurred_at)}发生，批复期限{_day(a.decision_due_at)}{late}"
        case "items":
            return "快报缺项：" + "、".join(a.missing_items)
        case _:
            return f"{_day(a.occurred_at)}发生"


def ask(step: StepFired, duty: Duty) -> str:
    """The doer is asked to do it, leaders and supervisors to urge it, others to know."""
    if duty is Duty.INFORM:
        return "请知悉"
    if clock_of(step.step_key) == "supplement" and step.action.value == OVERDUE:
        return "此后伤亡变化不再改变事故等级，请知悉"
    work, due = work_of(step)
    when = "立即" if step.action.value == OVERDUE or due is None else f"于{due}前"
    if duty is Duty.MEET_CLOCK:
        return f"请{when}{work}"
    return f"请督促有关单位{when}{work}"
