"""The 停产整顿 authority table: the order, the application, the township's review, the
acceptance team's decision and the resumption."""

from __future__ import annotations

from enum import StrEnum

from services.hazard_api.auth.models import UserRole
from services.hazard_api.items.authority import Authority, Rule
from shared.accident_labels import SUSPENSION_STATUS_LABELS
from shared.contract import SuspensionStatus

S = SuspensionStatus
R = UserRole
ORIGIN = "suspension"


class Action(StrEnum):
    ORDER = "order"
    APPLY = "apply"
    REVIEW = "review"
    DECIDE_ACCEPTANCE = "decide_acceptance"
    RESUME = "resume"


E, T, D, C = R.ENTERPRISE, R.TOWNSHIP, R.DEPARTMENT, R.COUNTY_OFFICE
_OPEN = (S.SUSPENDED, S.APPLIED, S.REVIEWED, S.ACCEPTED)


def _rule(label: str, states: tuple[str, ...], roles: frozenset[UserRole]) -> Rule:
    return Rule(label, states, {ORIGIN: roles})


RULES: dict[str, Rule] = {
    Action.ORDER: _rule("责令停产停业整顿", (), frozenset({D, C})),
    Action.APPLY: _rule("申请复工复产", (S.SUSPENDED,), frozenset({E, T, C})),
    Action.REVIEW: _rule("乡镇（街道）审核复工复产申请", (S.APPLIED,), frozenset({T, C})),
    Action.DECIDE_ACCEPTANCE: _rule("复工复产验收", (S.REVIEWED,), frozenset({D, C})),
    # Open to every open state: the change itself refuses without a passed acceptance, with
    # the words a county official expects (not a state name).
    Action.RESUME: _rule("恢复生产", _OPEN, frozenset({D, C})),
}

AUTHORITY = Authority(
    noun="停产整顿",
    rules=RULES,
    state_labels=SUSPENSION_STATUS_LABELS,
    origin_labels={ORIGIN: "停产停业整顿"},
)


def allowed_actions(status: str, role: UserRole) -> dict[str, str]:
    """The actions `role` may take on an order in `status` now, with their labels (what a page
    offers; the kernel still guards every one). 恢复生产 only once accepted: its rule stays
    open to every open state so that the change refuses with NOT_ACCEPTED's words, but the
    change allows it from 验收合格 only."""
    allowed = AUTHORITY.allowed(status=status, origin=ORIGIN, role=role)
    return {
        action: RULES[action].label
        for action in allowed
        if action != Action.RESUME or status == S.ACCEPTED
    }
