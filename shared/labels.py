"""What a person reads instead of a code: Chinese labels and Beijing time, one place each.

Machine fields (API codes, event payloads, metrics) keep the enum values and UTC; every page,
text, email and timeline entry takes its words from here, so a code never reaches a reader and
two services never name the same thing differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from shared.clock import local
from shared.contract import (
    ChainRole,
    Channel,
    DeadlineKind,
    DocumentType,
    EnterpriseStatus,
    EscalationAction,
    HazardEventType,
    HazardLevel,
    HazardStatus,
    ListingLevel,
    NotificationStatus,
    PostRole,
    Producer,
    ReportKind,
    TaskKind,
    UnitKind,
    Urgency,
)

CHAIN_ROLE_LABELS: dict[str, str] = {
    ChainRole.ENTERPRISE_PRINCIPAL: "企业主要负责人",
    ChainRole.ENTERPRISE_SAFETY_MANAGER: "企业安全管理人员",
    ChainRole.TOWNSHIP_PRINCIPAL: "乡镇（街道）主要负责人",
    ChainRole.TOWNSHIP_IN_CHARGE: "乡镇（街道）分管安全负责人",
    ChainRole.TOWNSHIP_PARTY_SECRETARY: "乡镇（街道）党（工）委书记",
    ChainRole.DEPARTMENT_HEAD: "行业监管部门主要负责人",
    ChainRole.DEPARTMENT_IN_CHARGE: "行业监管部门分管负责人",
    ChainRole.COUNTY_PORTFOLIO_LEADER: "县分管领导",
    ChainRole.COUNTY_SAFETY_LEADER: "县分管安全生产领导",
    ChainRole.COUNTY_PRINCIPAL: "县主要负责人",
    ChainRole.COUNTY_PARTY_SECRETARY: "县委书记",
    ChainRole.COUNTY_OFFICE: "县安委办",
}
POST_ROLE_LABELS: dict[str, str] = {
    PostRole.PRINCIPAL: "主要负责人",
    PostRole.DEPUTY_SAFETY: "分管安全负责人",
    PostRole.LEADERSHIP_MEMBER: "班子成员",
    PostRole.SAFETY_MANAGER: "安全管理人员",
    PostRole.CLERK: "工作人员",
    PostRole.PARTY_SECRETARY: "党委书记",
}
UNIT_KIND_LABELS: dict[str, str] = {
    UnitKind.COUNTY: "县（市、区）",
    UnitKind.TOWNSHIP: "乡镇（街道）",
    UnitKind.VILLAGE: "村（社区）",
    UnitKind.DEPARTMENT: "部门",
    UnitKind.ENTERPRISE: "企业",
}
ENTERPRISE_STATUS_LABELS: dict[str, str] = {
    EnterpriseStatus.OPERATING: "正常生产",
    EnterpriseStatus.SUSPENDED: "停产整顿",
    EnterpriseStatus.CLOSED: "关闭",
}
ACTION_LABELS: dict[str, str] = {
    EscalationAction.REMINDER: "整改期限提醒",
    EscalationAction.OVERDUE_NOTICE: "逾期整改通知",
    EscalationAction.SUPERVISION_LETTER: "督办函",
    EscalationAction.BULLETIN: "通报",
    EscalationAction.PROPOSE_LISTING: "建议挂牌督办",
    EscalationAction.RAISE_LISTING: "提级挂牌督办",
    EscalationAction.REFER_DISCIPLINE: "移交纪检监察",
    EscalationAction.ACCEPTANCE_REMINDER: "验收催办",
    EscalationAction.CLASSIFICATION_REMINDER: "隐患判定催办",
    EscalationAction.RECTIFICATION_ORDER: "限期整改通知",
    EscalationAction.LISTING_NOTICE: "挂牌督办告知",
    EscalationAction.PUBLICATION_REMINDER: "挂牌督办公布催办",
    EscalationAction.EXTENSION_DECISION_REMINDER: "延期申请审批催办",
    EscalationAction.DELISTING_REMINDER: "摘牌销号催办",
    EscalationAction.TASK: "待研究事项（建议，由县安委办决定）",
    EscalationAction.ACCIDENT_ALERT: "生产安全事故快报",
    EscalationAction.ACCIDENT_CLOCK_REMINDER: "事故报告调查时限提醒",
    EscalationAction.ACCIDENT_CLOCK_OVERDUE: "事故报告调查逾期通知",
    EscalationAction.ACCIDENT_ITEMS_REMINDER: "事故快报缺项补报催办",
    EscalationAction.DOCUMENT_ISSUED: "公文印发告知",
    EscalationAction.CAMPAIGN_REMINDER: "复工复产验收催办",
    EscalationAction.RESUMPTION_STEP: "停产整顿复工复产办理提醒",
}
# Official documents (公文, #14) by type, as their titles and texts name them.
DOCUMENT_TYPE_LABELS: dict[str, str] = {
    DocumentType.RECTIFICATION_NOTICE: "隐患整改通知书",
    DocumentType.LISTING_NOTICE: "挂牌督办通知书",
    DocumentType.SUPERVISION_LETTER: "督办函",
    DocumentType.BULLETIN: "通报",
    DocumentType.DELISTING_NOTICE: "摘牌销号通知",
}
URGENCY_LABELS: dict[str, str] = {
    Urgency.NORMAL: "常规",
    Urgency.URGENT: "紧急",
    Urgency.IMMEDIATE: "立即（夜间也发送）",
}
# What an escalation task asks the county office to decide (TaskCreated.kind).
TASK_KIND_LABELS: dict[str, str] = {
    TaskKind.INTERVIEW: "建议约谈",
    TaskKind.SUSPENSION: "建议停产整顿",
    TaskKind.SUPERVISION_LETTER: "建议发督办函",
    TaskKind.BULLETIN: "建议通报批评",
    TaskKind.RAISE_LISTING: "建议提级挂牌",
    TaskKind.REFERRAL: "建议移交纪检监察",
    TaskKind.NOTICE_UNDELIVERED: "通知未送达，请核实",
    TaskKind.CONCEALMENT_REVIEW: "瞒报核查",
    TaskKind.MISSING_ITEMS: "事故快报缺项，督促补报",
    TaskKind.CAMPAIGN_PENDING: "复工复产验收未完成，督促验收",
    TaskKind.RESUMPTION_REVIEW: "复工复产申请待审核，督促乡镇（街道）审核",
    TaskKind.RESUMPTION_ACCEPTANCE: "复工复产待验收，督促组织验收",
    TaskKind.REPORTING_ALERT: "上报异常，请处理",
}
HAZARD_STATUS_LABELS: dict[str, str] = {
    HazardStatus.REPORTED: "已登记",
    HazardStatus.CLASSIFIED: "已判定",
    HazardStatus.RECTIFYING: "整改中",
    HazardStatus.RECTIFICATION_REPORTED: "已申请验收",
    HazardStatus.ACCEPTED: "验收通过",
    HazardStatus.CLOSED: "已销号",
    HazardStatus.VOIDED: "已作废",
}
HAZARD_LEVEL_LABELS: dict[str, str] = {
    HazardLevel.GENERAL: "一般事故隐患",
    HazardLevel.MAJOR: "重大事故隐患",
}
LISTING_LEVEL_LABELS: dict[str, str] = {
    ListingLevel.COUNTY: "县级挂牌督办",
    ListingLevel.CITY: "市级挂牌督办",
    ListingLevel.PROVINCE: "省级挂牌督办",
}
DEADLINE_KIND_LABELS: dict[str, str] = {
    DeadlineKind.CALENDAR_DAYS: "自然日",
    DeadlineKind.WORKING_DAYS: "工作日",
}
HAZARD_EVENT_LABELS: dict[str, str] = {
    HazardEventType.REPORTED: "登记隐患",
    HazardEventType.CLASSIFIED: "判定隐患等级",
    HazardEventType.RECTIFICATION_STARTED: "开始整改",
    HazardEventType.LISTED: "挂牌督办",
    HazardEventType.LISTING_RAISED: "提级挂牌",
    HazardEventType.EXTENSION_REQUESTED: "申请延期",
    HazardEventType.EXTENSION_APPROVED: "批准延期",
    HazardEventType.EXTENSION_REJECTED: "驳回延期",
    HazardEventType.RECTIFICATION_REPORTED: "申请验收",
    HazardEventType.ACCEPTANCE_FAILED: "验收不通过",
    HazardEventType.ACCEPTED: "验收通过",
    HazardEventType.CLOSED: "销号",
    HazardEventType.LISTING_PUBLISHED: "挂牌督办公布",
    HazardEventType.RECLASSIFIED: "重新判定等级",
    HazardEventType.VOIDED: "作废",
    HazardEventType.DEADLINE_RECOMPUTED: "按法定节假日安排调整整改期限",
}
# A hazard's audit chain: its events, and the changes audited without one (same words as the
# events where they meet; the timeline and the 审计 tab both read them from here).
HAZARD_AUDIT_LABELS: dict[str, str] = HAZARD_EVENT_LABELS | {
    "hazard.plan_submitted": "提交治理方案",
    "hazard.evidence_attached": "上传佐证材料",
    "hazard.major_proposed": "企业提出判定为重大事故隐患",
}
# What the reporting service sends upward (its exchange documents), and what each is about.
SUBMISSION_DOCUMENT_LABELS: dict[str, str] = {
    "hazard-major": "重大隐患",
    "hazard-listing": "挂牌督办",
    "accident-report": "事故快报/续报",
    "document-issued": "公文签发",
    "quarterly-statistics": "季度统计",
}
SUBMISSION_ITEM_LABELS: dict[str, str] = {
    "hazard": "隐患",
    "accident": "事故",
    "document": "公文",
    "statistics": "统计报表",
    "quarterly": "季度统计",  # a quarterly report's ledger key (quarterly:2026Q1)
}
PRODUCER_LABELS: dict[str, str] = {
    Producer.HAZARD_API: "隐患台账",
    Producer.ESCALATION: "督办服务",
    Producer.NOTIFICATION: "通知服务",
    Producer.REPORTING: "上报服务",
}
CHANNEL_LABELS: dict[str, str] = {Channel.SMS: "短信", Channel.EMAIL: "邮件"}
NOTIFICATION_STATUS_LABELS: dict[str, str] = {
    NotificationStatus.SENT: "已发送",
    NotificationStatus.DELIVERED: "已送达",
    NotificationStatus.FAILED: "发送失败",
    NotificationStatus.ACKNOWLEDGED: "已确认收到",
}
# The escalation case (CaseChanged.state / .reason): the service's own codes, named here because
# the hazard timeline shows them.
CASE_STATE_LABELS: dict[str, str] = {
    "active": "督办进行中",
    "paused": "暂停（等待验收）",
    "stopped": "督办结束",
}
CASE_REASON_LABELS: dict[str, str] = {
    "started": "开始督办，按整改期限排定提醒和升级步骤",
    "rebaselined": "整改期限变更，督办步骤按新期限重排",
    "calendar": "法定节假日安排已发布，督办步骤按正式安排重排",
    "replanned": "隐患情况变化，督办步骤已调整",
    "paused": "已申请验收，逾期督办暂停，验收催办计时开始",
    "resumed": "验收未通过，逾期督办恢复",
    "acknowledged": "督办对象已签收，该步骤不再重复提醒",
    "accepted": "验收通过，摘牌销号催办计时开始",
    "policy switched": "隐患等级或挂牌情况变化，改按新的督办规则重新排定",
    "stopped": "督办结束",
}
# The auditor's findings (AuditorAnomaly.kind).
AUDITOR_FINDING_LABELS: dict[str, str] = {
    "overdue_step": "督办步骤逾期未发出",
    "clock_moved": "时钟调整后补发督办步骤",
    "next_fire_mismatch": "督办计划与定时不一致",
    "stopped_but_armed": "已结束的督办仍有定时",
}


def label(labels: Mapping[str, str], code: str | None, missing: str = "") -> str:
    """The label of `code`; an unknown code is shown as 「其他」 rather than leaking through."""
    if code is None:
        return missing
    return labels.get(code, "其他")


def role_label(role: str | None) -> str:
    return label(CHAIN_ROLE_LABELS, role)


def roles_label(roles: Iterable[str]) -> str:
    return "、".join(role_label(r) for r in roles)


def case_reason_label(reason: str) -> str:
    """`stopped: hazard.closed` → 「隐患销号，督办结束」; `acknowledged: <step>` → its label."""
    head, _, rest = reason.partition(":")
    if head == "stopped" and rest.strip():
        return f"隐患{label(HAZARD_EVENT_LABELS, rest.strip())}，督办结束"
    return label(CASE_REASON_LABELS, head.strip())


def beijing_time(dt: datetime | None, missing: str = "未定") -> str:
    """`2027年1月1日23:59` in Beijing time, as people write a date and time."""
    if dt is None:
        return missing
    d = local(dt)
    # Fields, not strftime: several times faster, and an export formats a million of these.
    return f"{d.year}年{d.month}月{d.day}日{d.hour:02d}:{d.minute:02d}"


def as_of_label(as_of: datetime) -> str:
    """「截至…」 of a statistic: a period that has ended ends at the next one's midnight, which
    county practice writes as the last day (截至9月30日); a running one as of the minute."""
    d = local(as_of)
    if (d.hour, d.minute, d.second, d.microsecond) == (0, 0, 0, 0):
        last = d.date() - timedelta(days=1)
        return f"{last.year}年{last.month}月{last.day}日"
    return beijing_time(as_of)


# 即将到期, wherever it is said (the portal's work queue, a digest's count): a deadline within
# this many days. Further off, a hazard in hand is not "about to fall due".
DUE_SOON_DAYS = 7
PROVISIONAL_MARK = "（预计）"  # after a date computed on a year's estimated working days


def deadline_label(dt: datetime | None, provisional: bool, *, short: bool = False) -> str:
    """A deadline as people read it: `2027年1月15日23:59（预计）` while the State Council has
    not yet published that year's holidays (the date may still move)."""
    text = beijing_date(dt) if short else beijing_time(dt)
    return text + PROVISIONAL_MARK if provisional and dt is not None else text


def beijing_date(dt: datetime | None, missing: str = "未定") -> str:
    """`1月1日` in Beijing time (texts are short)."""
    if dt is None:
        return missing
    d = local(dt)
    return f"{d.month}月{d.day}日"


def calendar_date(day: date) -> str:
    """`1月15日`: a Beijing calendar date already (a report's due date), as texts write it."""
    return f"{day.month}月{day.day}日"


def report_period_label(kind: ReportKind | str, year: int, quarter: int | None) -> str:
    """The period a statistics report covers: `2026年第1季度`, `2026年度`."""
    if ReportKind(kind) is ReportKind.QUARTERLY and quarter is not None:
        return f"{year}年第{quarter}季度"
    return f"{year}年度"
