"""The hazard state machine: which action, from which states, by which roles.

The guard answers in a fixed order: a role that may never do the action gets 403 (scope was
checked before: a hazard outside it is 404); then a wrong state gets 409 naming the states the
action needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.hazard_api.auth.models import UserRole
from services.hazard_api.errors import Conflict, Forbidden
from shared.contract import HazardStatus
from shared.labels import HAZARD_STATUS_LABELS

S = HazardStatus
R = UserRole


class Action(StrEnum):
    CLASSIFY = "classify"
    SUBMIT_PLAN = "submit_plan"
    START_RECTIFICATION = "start_rectification"
    RECTIFY_ON_SPOT = "rectify_on_spot"
    LIST = "list"
    RAISE_LISTING = "raise_listing"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    REPORT_RECTIFICATION = "report_rectification"
    DECIDE_ACCEPTANCE = "decide_acceptance"
    CLOSE = "close"
    ATTACH_EVIDENCE = "attach_evidence"


@dataclass(frozen=True)
class Rule:
    label: str
    from_states: tuple[HazardStatus, ...]
    roles: frozenset[UserRole]


_UNIT_SIDE = frozenset({R.ENTERPRISE, R.TOWNSHIP, R.DEPARTMENT, R.COUNTY_OFFICE})
_SUPERVISORS = frozenset({R.DEPARTMENT, R.COUNTY_OFFICE})
_OPEN = (S.REPORTED, S.CLASSIFIED, S.RECTIFYING, S.RECTIFICATION_REPORTED, S.ACCEPTED)

RULES: dict[Action, Rule] = {
    Action.CLASSIFY: Rule("判定隐患等级", (S.REPORTED,), _UNIT_SIDE),
    Action.SUBMIT_PLAN: Rule("提交治理方案", (S.CLASSIFIED, S.RECTIFYING), _UNIT_SIDE),
    Action.START_RECTIFICATION: Rule("开始整改", (S.CLASSIFIED,), _UNIT_SIDE),
    Action.RECTIFY_ON_SPOT: Rule("立查立改", (S.REPORTED,), _UNIT_SIDE),
    Action.LIST: Rule("挂牌督办", (S.CLASSIFIED, S.RECTIFYING), frozenset({R.COUNTY_OFFICE})),
    Action.RAISE_LISTING: Rule(
        "提级挂牌", (S.CLASSIFIED, S.RECTIFYING), frozenset({R.COUNTY_OFFICE})
    ),
    Action.REQUEST_EXTENSION: Rule(
        "申请延期", (S.RECTIFYING,), frozenset({R.ENTERPRISE, R.TOWNSHIP})
    ),
    Action.DECIDE_EXTENSION: Rule("审批延期", (S.RECTIFYING,), _SUPERVISORS),
    Action.REPORT_RECTIFICATION: Rule("申请验收", (S.RECTIFYING,), _UNIT_SIDE),
    Action.DECIDE_ACCEPTANCE: Rule("验收", (S.RECTIFICATION_REPORTED,), _SUPERVISORS),
    Action.CLOSE: Rule("销号", (S.ACCEPTED,), _SUPERVISORS),
    Action.ATTACH_EVIDENCE: Rule("上传佐证材料", _OPEN, _UNIT_SIDE),
}


def needs(rule: Rule) -> str:
    return "或".join(f"“{HAZARD_STATUS_LABELS[s]}”" for s in rule.from_states)


def guard(action: Action, *, status: str, role: UserRole) -> Rule:
    rule = RULES[action]
    if role not in rule.roles:
        raise Forbidden(f"当前账号角色无权{rule.label}")
    current = HazardStatus(status)
    if current not in rule.from_states:
        raise Conflict(
            f"{rule.label}需要隐患处于{needs(rule)}状态，当前为“{HAZARD_STATUS_LABELS[current]}”"
        )
    return rule
