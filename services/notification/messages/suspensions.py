"""A 停产整顿 order's 复工复产 steps as their doers read them (DOMAIN §5).

「红星烟花爆竹有限公司的停产整顿（编号示应急停〔2027〕5号）企业已提交复工复产申请，请及时审核。」
— the township principal; the acceptance team (department heads, the township principal) is
asked to 组织复工复产验收 by the 10th day after the review; the enterprise whose application
the township returned, to rectify and apply again. Escalation addresses each step to whose
turn it is, so the step (its key), not the seat, says what is asked. Each part stays within a
provider's 35 characters a variable (the enterprise's name and the 文号 are clipped like any
other unit name and code).
"""

from __future__ import annotations

from services.notification.messages.duties import Duty
from shared.contract import StepFired
from shared.labels import beijing_date

LEVEL = "停产整顿"
STATUS = {
    "suspension_applied": "企业已提交复工复产申请",
    "suspension_reviewed": "复工复产申请已经乡镇（街道）审核同意",
    "suspension_returned": "复工复产申请未通过乡镇（街道）审核",
}
WORK = {
    "suspension_applied": "审核",
    "suspension_reviewed": "组织复工复产验收",
    "suspension_returned": "继续整改，整改完成后重新申请复工复产",
}


def status(step: StepFired) -> str:
    return STATUS.get(step.step_key, "")


def ask(step: StepFired, duty: Duty) -> str:
    if duty is Duty.INFORM:
        return "请知悉"
    work = WORK.get(step.step_key, "办理复工复产有关事项")
    due = step.facts.acceptance_due_at
    if step.step_key == "suspension_applied":
        when = "及时"
    elif step.step_key == "suspension_reviewed":
        when = f"于{beijing_date(due)}前" if due is not None else "尽快"
    else:
        when = ""
    if duty is Duty.HANDLE_RESUMPTION:
        return f"请{when}{work}"
    return f"请知悉，并督促有关单位{when}{work}"
