"""The 复工复产 campaign authority table: the county office opens, chases and ends it; the
acceptance team's decision on each enterprise is recorded by 应急管理 or the supervising
department (as for a 停产整顿 order)."""

from __future__ import annotations

from enum import StrEnum

from services.hazard_api.auth.models import UserRole
from services.hazard_api.items.authority import Authority, Rule
from shared.accident_labels import CAMPAIGN_STATUS_LABELS
from shared.contract import CampaignStatus

S = CampaignStatus
R = UserRole
ORIGIN = "campaign"
PENDING, FAILED, ACCEPTED = "pending", "failed", "accepted"


class Action(StrEnum):
    OPEN = "open"
    DECIDE_ACCEPTANCE = "decide_acceptance"
    REMIND = "remind"
    CLOSE = "close"


D, C = R.DEPARTMENT, R.COUNTY_OFFICE
_OPEN = (S.OPEN,)


def _rule(label: str, states: tuple[str, ...], roles: frozenset[UserRole]) -> Rule:
    return Rule(label, states, {ORIGIN: roles})


RULES: dict[str, Rule] = {
    Action.OPEN: _rule("部署节后复工复产验收", (), frozenset({C})),
    Action.DECIDE_ACCEPTANCE: _rule("复工复产验收", _OPEN, frozenset({D, C})),
    Action.REMIND: _rule("催办未验收企业", _OPEN, frozenset({C})),
    Action.CLOSE: _rule("结束复工复产验收", _OPEN, frozenset({C})),
}

AUTHORITY = Authority(
    noun="复工复产验收",
    rules=RULES,
    state_labels=CAMPAIGN_STATUS_LABELS,
    origin_labels={ORIGIN: "节后复工复产"},
)


def allowed_actions(
    campaign_status: str, entry_status: str, role: UserRole, *, under_order: bool
) -> dict[str, str]:
    """The actions `role` may take on one enterprise of a campaign now, with their labels:
    its acceptance while the campaign is open, the enterprise is not accepted yet and not
    under an open 停产整顿 order (campaigns/orders.py)."""
    allowed = AUTHORITY.allowed(status=campaign_status, origin=ORIGIN, role=role)
    if Action.DECIDE_ACCEPTANCE not in allowed or entry_status == ACCEPTED or under_order:
        return {}
    return {Action.DECIDE_ACCEPTANCE.value: RULES[Action.DECIDE_ACCEPTANCE].label}
