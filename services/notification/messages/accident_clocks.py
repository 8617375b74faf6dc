"""An accident's statutory clocks as a person reads them (#15): which clock, by when, for whom.

Escalation's accident policy names its steps by clock (`upward_…`, `supplement_…`,
`investigation_…`, `decision_…`, `items_…`); the text says what is due, by which Beijing time,
and which body answers for it: the investigation and its 批复 belong to the government of the
investigation level (一般 the county, 较大 the city, 重大 the province, 特别重大 the State
Council), the upward report goes to the city (较大 and above also to the province).
"""

from __future__ import annotations

from datetime import datetime

from services.notification.messages.duties import Duty
from shared.clock import local
from shared.contract import AccidentClass, AccidentFacts, StepFired

INVESTIGATING_BODY = {
    "county": "县人民政府事故调查组",
    "city": "市人民政府事故调查组",
    "province": "省人民政府事故调查组",
    "state_council": "国务院事故调查组",
}
DECIDING_BODY = {
    "county": "县人民政府",
    "city": "市人民政府",
    "province": "省人民政府",
    "state_council": "国务院",
}


def clock_of(step_key: str) -> str:
    return step_key.split("_", 1)[0]


def _moment(at: datetime) -> str:
    t = local(at)
    return f"{t.month}月{t.day}日{t.hour}时{t.minute:02d}分"


def upward_to(a: AccidentFacts) -> str:
    if a.accident_class is AccidentClass.GENERAL:
        return "市应急管理局和有关部门"
    return "市、省应急管理部门和有关部门"


def work_of(step: StepFired) -> tuple[str, datetime | None]:
    """What the clock asks to be done, and its due time."""
    a = step.accident
    assert a is not None
    match clock_of(step.step_key):
        case "upward":
            return f"向{upward_to(a)}上报事故信息", step.due_at
        case "supplement":
            return "将伤亡人数变化情况及时补报", None
        case "investigation":
            body = INVESTIGATING_BODY.get(a.investigation_level, "事故调查组")
            return f"由{body}提交事故调查报告", a.investigation_due_at
        case "decision":
            body = DECIDING_BODY.get(a.investigation_level, "人民政府")
            return f"由{body}对事故调查报告作出批复", a.decision_due_at
        case _:
            items = "、".join(a.missing_items) or "缺项内容"
            return f"补报快报缺项（{items}）", None


def clock_status(step: StepFired, now: datetime) -> str:
    """「3月6日23时10分发生的一般事故，事故信息上报期限为3月7日1时10分，已逾期」."""
    a = step.accident
    assert a is not None
    head = f"{_moment(a.occurred_at)}发生的事故"
    clock = clock_of(step.step_key)
    overdue = step.action.value == "accident_clock_overdue"
    if clock == "upward":
        due = a.received_at
        text = f"，接报于{_moment(due)}，须在2小时内上报"
        return head + text + ("，已超时未报" if overdue else "")
    if clock == "supplement":
        if overdue:
            return head + "补报期已届满，此后伤亡变化不再改变事故等级"
        return head + "补报期即将届满"
    if clock in ("investigation", "decision"):
        label = "调查报告" if clock == "investigation" else "批复"
        _, clock_due = work_of(step)
        when = "期限内"
        if clock_due is not None:
            when = f"{local(clock_due).month}月{local(clock_due).day}日"
        return (
            head + f"，{label}期限为{when}" + ("，已逾期" if overdue and now > step.due_at else "")
        )
    return head + "，快报缺少规定内容"


def ask(step: StepFired, duty: Duty) -> str:
    if duty is Duty.INFORM:
        return "请知悉"
    return clock_ask(step, urge=duty is not Duty.MEET_CLOCK)


def clock_ask(step: StepFired, *, urge: bool) -> str:
    work, due = work_of(step)
    overdue = step.action.value == "accident_clock_overdue"
    when = "立即" if overdue or due is None else f"于{_moment(due)}前"
    if clock_of(step.step_key) == "supplement" and overdue:
        return "请知悉，继续跟踪伤亡变化，做好调查处理准备"
    if urge:
        return f"请督促有关单位{when}{work}"
    return f"请{when}{work}"
