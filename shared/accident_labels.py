"""The words of accidents, 停产整顿 orders and 复工复产 campaigns (see shared/labels.py for
the rest): an accident's class, status, reports and their sign-off, and its 办理记录."""

from __future__ import annotations

from shared.contract import (
    AccidentClass,
    AccidentEventType,
    AccidentStatus,
    CampaignStatus,
    SuspensionStatus,
)

ACCIDENT_CLASS_LABELS: dict[str, str] = {
    AccidentClass.GENERAL: "一般事故",
    AccidentClass.LARGER: "较大事故",
    AccidentClass.MAJOR: "重大事故",
    AccidentClass.ESPECIALLY_MAJOR: "特别重大事故",
}
ACCIDENT_STATUS_LABELS: dict[str, str] = {
    AccidentStatus.REPORTED: "已接报",
    AccidentStatus.INVESTIGATION_REPORTED: "调查报告已提交",
    AccidentStatus.DECIDED: "已批复",
    AccidentStatus.CLOSED: "已结案",
}
# An accident's reports (hazard_api's ReportKind) and their sign-off before they count as sent.
ACCIDENT_REPORT_KIND_LABELS: dict[str, str] = {
    "first": "快报",
    "follow_up": "续报",
    "supplementary": "补报",
}
REPORT_SIGNOFF_LABELS: dict[str, str] = {
    "drafted": "拟稿，待核稿",
    "reviewed": "已核稿，待签发",
    "issued": "已签发",
}
SUSPENSION_STATUS_LABELS: dict[str, str] = {
    SuspensionStatus.SUSPENDED: "停产整顿中",
    SuspensionStatus.APPLIED: "已申请复工复产",
    SuspensionStatus.REVIEWED: "乡镇（街道）已审核",
    SuspensionStatus.ACCEPTED: "复工复产验收合格",
    SuspensionStatus.RESUMED: "已复工复产",
}
CAMPAIGN_STATUS_LABELS: dict[str, str] = {
    CampaignStatus.OPEN: "验收进行中",
    CampaignStatus.CLOSED: "已结束",
}
# An enterprise's standing in a 复工复产 campaign.
CAMPAIGN_ENTRY_LABELS: dict[str, str] = {
    "pending": "待验收",
    "failed": "验收未通过",
    "accepted": "验收合格，准予复工复产",
}
# An accident's audit chain (办理记录): its events, and the changes audited without one.
ACCIDENT_AUDIT_LABELS: dict[str, str] = {
    AccidentEventType.REPORTED: "接报事故（快报）",
    AccidentEventType.FOLLOW_UP: "续报、补报",
    AccidentEventType.CLASS_CHANGED: "事故等级变化",
    AccidentEventType.REPORT_ISSUED: "签发报告（向上报告）",
    AccidentEventType.LATE_FLAGGED: "认定迟报",
    AccidentEventType.INCOMPLETE_FLAGGED: "认定漏报",
    AccidentEventType.CONCEALMENT_REVIEW_OPENED: "启动瞒报核查",
    AccidentEventType.FINDING_RECORDED: "谎报瞒报核查认定",
    AccidentEventType.INVESTIGATION_EXTENDED: "批准延长调查期限",
    AccidentEventType.INVESTIGATION_REPORTED: "提交事故调查报告",
    AccidentEventType.DECISION_EXTENDED: "延长批复期限",
    AccidentEventType.DECIDED: "批复调查报告",
    AccidentEventType.CLOSED: "结案",
    "accident.report_reviewed": "核稿",
    "accident.accountability_recorded": "登记责任人员处理情况",
    "accident.education_recorded": "登记教育情况",
    "accident.measures_recorded": "登记防范和整改措施",
}
