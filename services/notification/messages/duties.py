"""What each person must do, from their place in the chain and the step's action (DOMAIN §9).

The rectifier fixes (完成整改并申请验收); the territorial and industry supervisors urge (督促);
county leaders are informed and urge (知悉、督促); the verifier inspects (组织验收); the listing
body publishes and delists; the county office decides what the system only proposes (约谈,
停产整顿 …). Actions are compared by value: a step of a newer policy whose action this service
does not know yet still gets the rectification wording instead of failing.
"""

from __future__ import annotations

from enum import StrEnum

from shared.contract import ChainRole


class Duty(StrEnum):
    RECTIFY = "rectify"  # 整改：企业
    URGE = "urge"  # 督促：属地、行业监管、县安委办
    OVERSEE = "oversee"  # 知悉、督促：县领导
    VERIFY = "verify"  # 组织验收
    CLASSIFY = "classify"  # 判定
    DECIDE_EXTENSION = "decide_extension"  # 延期审批
    PUBLISH = "publish"  # 公布挂牌督办
    DELIST = "delist"  # 摘牌销号
    DECIDE = "decide"  # 研究决定（系统只提建议）
    INFORM = "inform"  # 知悉（与此步骤无直接职责）
    RESPOND = "respond"  # 事故：立即赶赴现场、组织救援处置（属地、行业、县安委办）
    MEET_CLOCK = "meet_clock"  # 事故时限：按期上报、补报、提交调查报告、批复
    CHASE_RESUMPTION = "chase_resumption"  # 复工复产验收催办：验收合格后方可复工复产
    # 停产整顿复工复产：本环节由其办理（乡镇审核申请、验收组组织验收、企业整改后重新申请）
    HANDLE_RESUMPTION = "handle_resumption"


class Matter(StrEnum):
    """What a step is about: the clock it chases."""

    RECTIFICATION = "rectification"
    CLASSIFICATION = "classification"
    ACCEPTANCE = "acceptance"
    EXTENSION = "extension"
    PUBLICATION = "publication"
    DELISTING = "delisting"
    TASK = "task"
    ACCIDENT = "accident"  # 生产安全事故：立即处置和报告
    ACCIDENT_CLOCK = "accident_clock"  # 事故报告、调查、批复时限
    ACCIDENT_ITEMS = "accident_items"  # 事故快报缺项补报
    CAMPAIGN = "campaign"  # 复工复产验收：企业验收合格后方可复工复产
    SUSPENSION = "suspension"  # 停产整顿企业复工复产：审核、验收、重新申请


class Seat(StrEnum):
    """Where a chain role sits: its duty follows from the seat."""

    ENTERPRISE = "enterprise"
    TERRITORIAL = "territorial"  # 属地
    INDUSTRY = "industry"  # 行业监管
    LEADER = "leader"  # 县领导
    OFFICE = "office"  # 县安委办


SEATS: dict[str, Seat] = {
    ChainRole.ENTERPRISE_PRINCIPAL: Seat.ENTERPRISE,
    ChainRole.ENTERPRISE_SAFETY_MANAGER: Seat.ENTERPRISE,
    ChainRole.TOWNSHIP_PRINCIPAL: Seat.TERRITORIAL,
    ChainRole.TOWNSHIP_IN_CHARGE: Seat.TERRITORIAL,
    # 党政同责: the township's party secretary answers for its territory beside its head.
    ChainRole.TOWNSHIP_PARTY_SECRETARY: Seat.TERRITORIAL,
    ChainRole.DEPARTMENT_HEAD: Seat.INDUSTRY,
    ChainRole.DEPARTMENT_IN_CHARGE: Seat.INDUSTRY,
    ChainRole.COUNTY_PORTFOLIO_LEADER: Seat.LEADER,
    ChainRole.COUNTY_SAFETY_LEADER: Seat.LEADER,
    ChainRole.COUNTY_PRINCIPAL: Seat.LEADER,
    ChainRole.COUNTY_PARTY_SECRETARY: Seat.LEADER,
    ChainRole.COUNTY_OFFICE: Seat.OFFICE,
}

MATTERS: dict[str, Matter] = {
    "classification_reminder": Matter.CLASSIFICATION,
    "acceptance_reminder": Matter.ACCEPTANCE,
    "extension_decision_reminder": Matter.EXTENSION,
    "publication_reminder": Matter.PUBLICATION,
    "delisting_reminder": Matter.DELISTING,
    "task": Matter.TASK,
    "accident_alert": Matter.ACCIDENT,
    "accident_clock_reminder": Matter.ACCIDENT_CLOCK,
    "accident_clock_overdue": Matter.ACCIDENT_CLOCK,
    "accident_items_reminder": Matter.ACCIDENT_ITEMS,
    "campaign_reminder": Matter.CAMPAIGN,
    "resumption_step": Matter.SUSPENSION,
}

# Older policies' steps that named a sanction: to the county office they become a proposal to
# decide on; to everybody else they are overdue notices (frozen cases still fire them).
PROPOSALS: dict[str, str] = {
    "supervision_letter": "发督办函",
    "bulletin": "通报批评",
    "propose_listing": "挂牌督办",
    "raise_listing": "提级挂牌督办",
    "refer_discipline": "提请纪检监察机关处理",
}
# Task kinds (escalation's TaskKind values) as a proposal: 「建议研究是否……」.
TASK_PROPOSALS: dict[str, str] = {
    "interview": "约谈有关负责人",
    "suspension": "责令停产整顿",
    **PROPOSALS,
    "referral": "提请纪检监察机关处理",
}

# Who does the matter's own work; everybody else in the chain urges or is informed.
_DOERS: dict[Matter, tuple[frozenset[Seat], Duty]] = {
    Matter.CLASSIFICATION: (
        frozenset({Seat.TERRITORIAL, Seat.INDUSTRY, Seat.OFFICE}),
        Duty.CLASSIFY,
    ),
    Matter.ACCEPTANCE: (frozenset({Seat.INDUSTRY, Seat.OFFICE}), Duty.VERIFY),
    Matter.EXTENSION: (frozenset({Seat.INDUSTRY, Seat.OFFICE}), Duty.DECIDE_EXTENSION),
    Matter.PUBLICATION: (frozenset({Seat.INDUSTRY, Seat.OFFICE}), Duty.PUBLISH),
    Matter.DELISTING: (frozenset({Seat.INDUSTRY, Seat.OFFICE}), Duty.DELIST),
    Matter.TASK: (frozenset({Seat.OFFICE}), Duty.DECIDE),
    Matter.ACCIDENT_CLOCK: (frozenset({Seat.OFFICE}), Duty.MEET_CLOCK),
    Matter.ACCIDENT_ITEMS: (frozenset({Seat.ENTERPRISE}), Duty.MEET_CLOCK),
    Matter.CAMPAIGN: (
        frozenset({Seat.TERRITORIAL, Seat.INDUSTRY, Seat.OFFICE}),
        Duty.CHASE_RESUMPTION,
    ),
    # Each step is addressed only to whose turn it is: whoever gets it does the step's work.
    Matter.SUSPENSION: (
        frozenset({Seat.ENTERPRISE, Seat.TERRITORIAL, Seat.INDUSTRY, Seat.OFFICE}),
        Duty.HANDLE_RESUMPTION,
    ),
}


def matter_of(action: str) -> Matter:
    return MATTERS.get(action, Matter.RECTIFICATION)


def duty_of(action: str, role: str) -> Duty:
    """The duty of whoever answers for `role` (the post that actually holds it) in this step."""
    seat = SEATS.get(role, Seat.LEADER)
    matter = matter_of(action)
    if seat is Seat.LEADER:
        return Duty.OVERSEE
    if matter is Matter.ACCIDENT:
        return Duty.RESPOND
    if matter is Matter.RECTIFICATION:
        if seat is Seat.ENTERPRISE:
            return Duty.RECTIFY
        if seat is Seat.OFFICE and action in PROPOSALS:
            return Duty.DECIDE
        return Duty.URGE
    doers, duty = _DOERS[matter]
    if seat in doers:
        return duty
    if seat is Seat.TERRITORIAL and matter is not Matter.TASK:
        return Duty.URGE  # the township urges whoever's turn it is
    return Duty.INFORM
