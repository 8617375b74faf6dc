"""The words of one notice: what the hazard's (or accident's, campaign's, order's) state is and
what the reader must do, by their duty.

Used when the notice is bundled (so "已逾期N天" counts to the day it is sent; `notice.py`
stores the result on the dispatch, which the SMS variables, the email and the
acknowledgement page all read).
Dates are Beijing dates (12月31日); a deadline ends with its last day.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from services.notification.messages import accident_clocks, campaigns, suspensions
from services.notification.messages.duties import (
    PROPOSALS,
    TASK_PROPOSALS,
    Duty,
    Matter,
)
from shared.accident_labels import ACCIDENT_CLASS_LABELS
from shared.clock import local
from shared.contract import StepFired
from shared.labels import (
    ACTION_LABELS,
    DUE_SOON_DAYS,
    LISTING_LEVEL_LABELS,
    beijing_date,
    deadline_label,
    label,
)

DUE_SOON = timedelta(days=DUE_SOON_DAYS)

# The email subject and the page heading of a step whose action has no label of its own, or
# whose label names a document or a sanction (no 督办函 or 通报 exists until a person issues
# one).
TITLES: dict[Matter, str] = {
    Matter.RECTIFICATION: "隐患整改提醒",
    Matter.CLASSIFICATION: "隐患判定提醒",
    Matter.ACCEPTANCE: "隐患验收提醒",
    Matter.EXTENSION: "延期申请审批提醒",
    Matter.PUBLICATION: "挂牌督办公布提醒",
    Matter.DELISTING: "摘牌销号提醒",
    Matter.TASK: "待研究事项",
    Matter.ACCIDENT: "生产安全事故快报",
    Matter.ACCIDENT_CLOCK: "事故报告调查时限提醒",
    Matter.ACCIDENT_ITEMS: "事故快报缺项补报催办",
    Matter.CAMPAIGN: "复工复产验收催办",
    Matter.SUSPENSION: "停产整顿复工复产办理提醒",
}
# What a supervisor urges or a leader oversees, per matter.
MATTER_WORK: dict[Matter, str] = {
    Matter.RECTIFICATION: "完成整改",
    Matter.CLASSIFICATION: "完成隐患判定",
    Matter.ACCEPTANCE: "组织验收",
    Matter.EXTENSION: "作出延期审批决定",
    Matter.PUBLICATION: "公布挂牌督办",
    Matter.DELISTING: "摘牌销号",
    Matter.TASK: "研究决定",
    Matter.ACCIDENT: "做好救援处置和事故报告",
    Matter.ACCIDENT_CLOCK: "完成事故报告和调查处理",
    Matter.ACCIDENT_ITEMS: "补报事故快报缺项",
    Matter.CAMPAIGN: "完成复工复产验收",
    Matter.SUSPENSION: "办理复工复产有关事项",
}
ACCIDENT_CLOCK_MATTERS = frozenset({Matter.ACCIDENT_CLOCK, Matter.ACCIDENT_ITEMS})


def title_of(action: str, matter: Matter, overdue: int) -> str:
    """The step's name as the timeline gives it (one vocabulary, shared.labels), except an
    older step named after a document or a sanction: that gets the name of its matter."""
    if action not in PROPOSALS and action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if matter is Matter.RECTIFICATION and overdue:
        return "隐患整改逾期提醒"
    return TITLES[matter]


def days_overdue(due: datetime | None, now: datetime) -> int:
    """Whole days since the due date's last day (Beijing), 0 while it is not past."""
    if due is None or now <= due:
        return 0
    return max((local(now).date() - local(due).date()).days, 1)


def when_text(due: datetime | None, overdue: int) -> str:
    if due is None:
        return "尽快"
    return "立即" if overdue else f"于{beijing_date(due)}前"


def _deadline_state(step: StepFired, overdue: int) -> str:
    deadline = step.facts.deadline_at
    if deadline is None:
        return "整改期限未定"
    # Counted on a year whose holidays are not yet published: the date may still move.
    day = deadline_label(deadline, step.facts.deadline_provisional, short=True)
    if overdue:
        return f"已逾期{overdue}天（整改期限{day}）"
    return f"整改期限为{day}"


def _since(prefix: str, at: datetime | None, rest: str) -> str:
    return f"{prefix}于{beijing_date(at)}{rest}" if at is not None else f"{prefix}{rest}"


def status_text(step: StepFired, matter: Matter, now: datetime) -> str:
    """The hazard's state as this step sees it: the deadline or the days overdue."""
    facts = step.facts
    if step.campaign is not None:
        return campaigns.status(step)
    if step.suspension is not None:
        return suspensions.status(step)
    if step.accident is not None and matter in ACCIDENT_CLOCK_MATTERS:
        return accident_clocks.clock_status(step, now)
    if step.accident is not None:
        return accident_status(step)
    rectification = _deadline_state(step, days_overdue(facts.deadline_at, now))
    match matter:
        case Matter.CLASSIFICATION:
            state = _since("已", facts.reported_at, "登记，尚未判定")
        case Matter.ACCEPTANCE:
            state = _since("已", facts.rectification_reported_at, "申请验收")
            late = days_overdue(facts.acceptance_due_at, now)
            if late:
                state += f"，验收已超期{late}天"
            elif facts.acceptance_due_at is not None:
                state += f"，验收期限为{beijing_date(facts.acceptance_due_at)}"
            elif facts.rectification_reported_at is None:
                state += f"（{rectification}）"
            # With the application's date that date is the verifier's clock; the rectification
            # deadline beside it would only push the text past the provider's limit.
        case Matter.EXTENSION:
            state = _since("已", facts.extension_requested_at, "申请延期") + f"，{rectification}"
        case Matter.PUBLICATION:
            state = _since("已", facts.listed_at, "挂牌督办，尚未公布") + f"，{rectification}"
        case Matter.DELISTING:
            state = _since("已", facts.accepted_at, "验收通过，尚未摘牌销号")
        case _ if step.action.value == "rectification_order":
            state = f"已下达整改要求，{rectification}"
        case _ if step.action.value == "listing_notice" and facts.listing_level:
            state = f"已列入{label(LISTING_LEVEL_LABELS, facts.listing_level)}，{rectification}"
        case _:
            state = rectification
    if step.repeat_index > 0:
        state += f"（第{step.repeat_index + 1}次提醒）"
    return state


def accident_status(step: StepFired) -> str:
    """「3月6日23时10分发生较大事故，死亡3人、重伤2人」: when, which class, the casualties."""
    a = step.accident
    assert a is not None
    when = local(a.occurred_at)
    counted = [
        f"{name}{n}人"
        for name, n in (("死亡", a.deaths), ("失踪", a.missing), ("重伤", a.serious_injuries))
        if n
    ]
    text = f"{when.month}月{when.day}日{when.hour}时{when.minute:02d}分发生事故"
    if step.step_key == "accident_class_changed":
        now_class = label(ACCIDENT_CLASS_LABELS, a.accident_class)
        text = f"{when.month}月{when.day}日发生的事故等级变为{now_class}"
    return text + (("，" + "、".join(counted)) if counted else "")


def duty_due(step: StepFired, matter: Matter) -> datetime | None:
    """The date the recipient's own duty falls due, where the facts carry it."""
    if matter is Matter.RECTIFICATION or matter is Matter.TASK:
        return step.facts.deadline_at
    if matter is Matter.ACCEPTANCE:
        return step.facts.acceptance_due_at
    return None


# The proposal in a task step's title: 「逾期5个工作日：建议约谈……，报……」 → 「约谈……」.
_PROPOSAL = re.compile(r"建议(?P<what>[^，,；;（(]+)")


def proposal_of(step: StepFired, raw: dict[str, Any]) -> str:
    """What the county office is asked to consider (a task step, or an older policy's
    sanction step), always as a proposal for people with authority to decide."""
    kind = raw.get("task_kind")
    if isinstance(kind, str) and kind in TASK_PROPOSALS:
        return TASK_PROPOSALS[kind]
    if step.action.value in PROPOSALS:
        return PROPOSALS[step.action.value]
    found = _PROPOSAL.search(step.step_title or "")
    return found.group("what") if found else "采取进一步措施"


def ask_text(duty: Duty, matter: Matter, when: str, proposal: str) -> str:
    match duty:
        case Duty.RECTIFY:
            return f"请{when}完成整改并申请验收"
        case Duty.URGE:
            whom = "企业" if matter is Matter.RECTIFICATION else "有关单位"
            return f"请督促{whom}{when}{MATTER_WORK[matter]}"
        case Duty.OVERSEE if matter is Matter.ACCIDENT:
            return "请知悉，并督促有关单位立即做好救援处置和事故报告"
        case Duty.OVERSEE if matter is Matter.TASK:
            return f"县安委办将研究是否{proposal}，请知悉"
        case Duty.OVERSEE:
            return f"请知悉，并督促有关单位{when}{MATTER_WORK[matter]}"
        case Duty.VERIFY:
            return f"请{when}组织验收"
        case Duty.CLASSIFY:
            return f"请{when}完成判定并提出整改要求"
        case Duty.DECIDE_EXTENSION:
            return f"请{when}作出延期审批决定"
        case Duty.PUBLISH:
            return f"请{when}公布挂牌督办"
        case Duty.DELIST:
            return f"请{when}摘牌销号并公布"
        case Duty.DECIDE:
            return f"建议研究是否{proposal}，请研究决定"
        case Duty.INFORM:
            return "请知悉"
        case Duty.RESPOND:
            return "请立即赶赴现场，组织做好救援处置，并按规定报告"
        case Duty.MEET_CLOCK | Duty.HANDLE_RESUMPTION:
            return f"请{when}{MATTER_WORK[matter]}"
        case Duty.CHASE_RESUMPTION:
            return campaigns.ask(duty)
