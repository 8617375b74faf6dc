"""The accident authority table: which action, from which states, by which roles.

Origin: an accident is one origin (接报); who may act is by role. Scope (the accident's unit
within the caller's) was checked before: outside it, 404.
"""

from __future__ import annotations

from enum import StrEnum

from services.hazard_api.auth.models import UserRole
from services.hazard_api.items.authority import Authority, Rule
from shared.accident_labels import ACCIDENT_STATUS_LABELS
from shared.contract import AccidentStatus

S = AccidentStatus
R = UserRole
ORIGIN = "accident"
ORIGIN_LABELS = {ORIGIN: "生产安全事故"}


class Action(StrEnum):
    REPORT = "report"
    FOLLOW_UP = "follow_up"
    REVIEW_REPORT = "review_report"
    ISSUE_REPORT = "issue_report"
    RECORD_FINDING = "record_finding"
    EXTEND_INVESTIGATION = "extend_investigation"
    SUBMIT_INVESTIGATION = "submit_investigation"
    EXTEND_DECISION = "extend_decision"
    DECIDE = "decide"
    RECORD_ACCOUNTABILITY = "record_accountability"
    RECORD_EDUCATION = "record_education"
    RECORD_MEASURES = "record_measures"
    CLOSE = "close"


E, T, D, C, API = R.ENTERPRISE, R.TOWNSHIP, R.DEPARTMENT, R.COUNTY_OFFICE, R.INTEGRATION
_OPEN = (S.REPORTED, S.INVESTIGATION_REPORTED, S.DECIDED)
_RECEIVERS = frozenset({E, T, D, C, API})  # 快报 by the enterprise; 接报 by the authorities
_GOVERNMENT = frozenset({T, D, C})
_SUPERVISORS = frozenset({D, C})
_OFFICE = frozenset({C})


def _rule(label: str, states: tuple[str, ...], roles: frozenset[UserRole]) -> Rule:
    return Rule(label, states, {ORIGIN: roles})


RULES: dict[str, Rule] = {
    Action.REPORT: _rule("报告事故（快报）", (), _RECEIVERS),
    # 续报/补报: casualty changes keep coming until the case closes; only those within the
    # statutory window move the class.
    Action.FOLLOW_UP: _rule("续报或补报", _OPEN, _RECEIVERS),
    # Sign-off of a report before it counts as sent upward: 拟稿 → 核稿 → 签发.
    Action.REVIEW_REPORT: _rule("核稿", _OPEN, _GOVERNMENT),
    Action.ISSUE_REPORT: _rule("签发", _OPEN, _SUPERVISORS),
    Action.RECORD_FINDING: _rule("认定谎报瞒报", _OPEN, _OFFICE),
    Action.EXTEND_INVESTIGATION: _rule("批准延长调查期限", (S.REPORTED,), _OFFICE),
    Action.SUBMIT_INVESTIGATION: _rule("提交事故调查报告", (S.REPORTED,), _SUPERVISORS),
    Action.EXTEND_DECISION: _rule("延长批复期限", (S.INVESTIGATION_REPORTED,), _OFFICE),
    Action.DECIDE: _rule("批复调查报告", (S.INVESTIGATION_REPORTED,), _OFFICE),
    Action.RECORD_ACCOUNTABILITY: _rule("记录责任人员处理", _OPEN, _SUPERVISORS),
    Action.RECORD_EDUCATION: _rule("记录教育情况", _OPEN, _GOVERNMENT),
    Action.RECORD_MEASURES: _rule("记录整改措施落实", _OPEN, _SUPERVISORS),
    # 四不放过: the close itself checks the four items (409 naming the missing one).
    Action.CLOSE: _rule("结案", _OPEN, _OFFICE),
}

AUTHORITY = Authority(
    noun="事故", rules=RULES, state_labels=ACCIDENT_STATUS_LABELS, origin_labels=ORIGIN_LABELS
)
