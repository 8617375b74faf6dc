"""The hazard authority table (DOMAIN §9): which action, from which states, by which roles, on
a hazard of which origin. The kernel (`items.kernel`) asks `AUTHORITY.guard` before any change.

Origin is who answers for the hazard: one the enterprise found itself (自查), one an inspector
found (township, department, county office, 督查, a complaint), or a listed one (挂牌督办: the
listing body answers, whoever found it).
"""

from __future__ import annotations

from enum import StrEnum

from services.hazard_api.auth.models import UserRole
from services.hazard_api.items.authority import Authority, Rule
from shared.contract import HazardStatus
from shared.labels import HAZARD_STATUS_LABELS

S = HazardStatus
R = UserRole


class Origin(StrEnum):
    SELF_FOUND = "self_found"  # 企业自查发现
    INSPECTOR_FOUND = "inspector_found"  # 检查、督查、举报发现
    LISTED = "listed"  # 挂牌督办


ORIGIN_LABELS: dict[str, str] = {
    Origin.SELF_FOUND: "企业自查发现",
    Origin.INSPECTOR_FOUND: "检查发现",
    Origin.LISTED: "挂牌督办",
}


class Action(StrEnum):
    REPORT = "report"
    CLASSIFY_GENERAL = "classify_general"
    CLASSIFY_MAJOR = "classify_major"
    PROPOSE_MAJOR = "propose_major"
    RECLASSIFY = "reclassify"
    VOID = "void"
    SUBMIT_PLAN = "submit_plan"
    START_RECTIFICATION = "start_rectification"
    RECTIFY_ON_SPOT = "rectify_on_spot"
    LIST = "list"
    RAISE_LISTING = "raise_listing"
    PUBLISH_LISTING = "publish_listing"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    REPORT_RECTIFICATION = "report_rectification"
    DECIDE_ACCEPTANCE = "decide_acceptance"
    CLOSE = "close"
    ATTACH_EVIDENCE = "attach_evidence"
    RECOUNT_DEADLINE = "recount_deadline"
    APPLY_EXTERNAL_LISTING = "apply_external_listing"


E, T, D, C = R.ENTERPRISE, R.TOWNSHIP, R.DEPARTMENT, R.COUNTY_OFFICE
SELF, FOUND, LISTED = Origin.SELF_FOUND, Origin.INSPECTOR_FOUND, Origin.LISTED
_OPEN = (S.REPORTED, S.CLASSIFIED, S.RECTIFYING, S.RECTIFICATION_REPORTED, S.ACCEPTED)
_UNIT_SIDE = frozenset({E, T, D, C})
_SUPERVISORS = frozenset({D, C})
_OFFICE = frozenset({C})
_EVERYONE = frozenset(R)


def _same(roles: frozenset[UserRole], *origins: Origin) -> dict[str, frozenset[UserRole]]:
    return dict.fromkeys(origins, roles)


RULES: dict[str, Rule] = {
    # Anyone with the hazard's unit in scope may report it (an integration client needs the
    # hazards:write token scope); the one-statement intake relies on this row being open.
    Action.REPORT: Rule("登记隐患", (), _same(_EVERYONE, SELF, FOUND)),
    # 判定: the enterprise judges only general hazards it found itself; a township its
    # territory's general hazards; a major one is judged by the supervising department or the
    # county office (the enterprise proposes).
    Action.CLASSIFY_GENERAL: Rule(
        "判定为一般事故隐患", (S.REPORTED,), {SELF: _UNIT_SIDE, FOUND: frozenset({T, D, C})}
    ),
    Action.CLASSIFY_MAJOR: Rule(
        "判定为重大事故隐患",
        (S.REPORTED,),
        _same(_SUPERVISORS, SELF, FOUND),
        hint="企业可提出重大事故隐患判定建议，由行业监管部门或县安委办判定",
    ),
    Action.PROPOSE_MAJOR: Rule(
        "提出重大事故隐患判定建议", (S.REPORTED,), _same(frozenset({E, T}), SELF, FOUND)
    ),
    Action.RECLASSIFY: Rule(
        "改判隐患等级",
        (S.CLASSIFIED, S.RECTIFYING),
        _same(_SUPERVISORS, SELF, FOUND),
        not_applicable="挂牌督办隐患不能直接改判等级，须由挂牌单位摘牌后办理",
    ),
    Action.VOID: Rule(
        "作废隐患",
        (S.REPORTED, S.CLASSIFIED, S.RECTIFYING),
        {SELF: frozenset({T, D, C}), FOUND: frozenset({T, D, C}), LISTED: _OFFICE},
    ),
    Action.SUBMIT_PLAN: Rule(
        "提交治理方案", (S.CLASSIFIED, S.RECTIFYING), _same(_UNIT_SIDE, SELF, FOUND, LISTED)
    ),
    Action.START_RECTIFICATION: Rule(
        "开始整改", (S.CLASSIFIED,), _same(_UNIT_SIDE, SELF, FOUND, LISTED)
    ),
    # 立查立改: the enterprise only for what it found itself; an inspector may record a fix
    # made in front of them.
    Action.RECTIFY_ON_SPOT: Rule(
        "立查立改", (S.REPORTED,), {SELF: _UNIT_SIDE, FOUND: frozenset({T, D, C})}
    ),
    Action.LIST: Rule(
        "挂牌督办",
        (S.CLASSIFIED, S.RECTIFYING),
        _same(_OFFICE, SELF, FOUND),
        not_applicable="该隐患已挂牌督办；如需提级请使用提级挂牌",
    ),
    Action.RAISE_LISTING: Rule(
        "提级挂牌",
        (S.CLASSIFIED, S.RECTIFYING),
        {LISTED: _OFFICE},
        not_applicable="该隐患尚未挂牌督办，不能提级",
    ),
    Action.PUBLISH_LISTING: Rule(
        "公布挂牌督办通知", _OPEN, {LISTED: _OFFICE}, not_applicable="该隐患尚未挂牌督办"
    ),
    Action.REQUEST_EXTENSION: Rule(
        "申请延期", (S.RECTIFYING,), _same(frozenset({E, T}), SELF, FOUND, LISTED)
    ),
    # Decisions and verification: the supervising department or the county office; for a
    # listed hazard the listing body (the county office stands for it).
    Action.DECIDE_EXTENSION: Rule(
        "审批延期", (S.RECTIFYING,), {SELF: _SUPERVISORS, FOUND: _SUPERVISORS, LISTED: _OFFICE}
    ),
    Action.REPORT_RECTIFICATION: Rule(
        "申请验收", (S.RECTIFYING,), _same(_UNIT_SIDE, SELF, FOUND, LISTED)
    ),
    Action.DECIDE_ACCEPTANCE: Rule(
        "验收",
        (S.RECTIFICATION_REPORTED,),
        {SELF: _SUPERVISORS, FOUND: _SUPERVISORS, LISTED: _OFFICE},
    ),
    Action.CLOSE: Rule(
        "销号", (S.ACCEPTED,), {SELF: _SUPERVISORS, FOUND: _SUPERVISORS, LISTED: _OFFICE}
    ),
    Action.ATTACH_EVIDENCE: Rule("上传佐证材料", _OPEN, _same(_UNIT_SIDE, SELF, FOUND, LISTED)),
    # A working-day deadline counted again on a newly loaded official holiday schedule: done
    # by the system for the county office that loaded it (#12), while the deadline runs.
    Action.RECOUNT_DEADLINE: Rule(
        "按法定节假日安排重算整改期限",
        (S.CLASSIFIED, S.RECTIFYING, S.RECTIFICATION_REPORTED),
        _same(_OFFICE, SELF, FOUND, LISTED),
    ),
    # 市/省挂牌督办决定: the city or province lists (or raises the listing to its level); only
    # the reporting link may relay it (an integration client with `listing:external`).
    Action.APPLY_EXTERNAL_LISTING: Rule(
        "执行市/省挂牌督办决定",
        (S.CLASSIFIED, S.RECTIFYING),
        _same(frozenset({R.INTEGRATION}), SELF, FOUND, LISTED),
    ),
}

AUTHORITY = Authority(
    noun="隐患", rules=RULES, state_labels=HAZARD_STATUS_LABELS, origin_labels=ORIGIN_LABELS
)


def origin_of(*, source: str, listing_level: str | None) -> Origin:
    if listing_level is not None:
        return Origin.LISTED
    return Origin.SELF_FOUND if source == "self_check" else Origin.INSPECTOR_FOUND


def readme_table() -> str:
    """The table as it appears in the README (a test keeps the two equal)."""
    return AUTHORITY.markdown({a.value: a.value for a in Action}, tuple(Origin))
