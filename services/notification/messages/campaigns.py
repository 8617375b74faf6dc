"""A 复工复产 campaign's 催办 as a township's or a department's principal reads it (#15).

「2027年春节后复工复产的复工复产验收（编号某安委办〔2027〕1号）本乡镇（街道）尚有3家企业未通过
验收，请督促企业验收合格后方可复工复产。」 Not the hazard's 验收 wording: what is accepted here
is an enterprise's readiness to resume, and nobody is to resume before it. Each part stays
within a provider's 35 characters a variable.
"""

from __future__ import annotations

from services.notification.messages.duties import Duty
from shared.contract import StepFired

LEVEL = "复工复产验收"
WHERE = {"township": "本乡镇（街道）", "department": "本部门监管范围内"}


def status(step: StepFired) -> str:
    scope = step.step_key.rsplit("_", 1)[-1]
    return f"{WHERE.get(scope, '')}尚有{step.pending or 0}家企业未通过验收"


def ask(duty: Duty) -> str:
    if duty is Duty.CHASE_RESUMPTION:
        return "请督促企业验收合格后方可复工复产"
    if duty is Duty.OVERSEE:
        return "请知悉，并督促有关单位抓紧组织复工复产验收"
    return "请知悉"
