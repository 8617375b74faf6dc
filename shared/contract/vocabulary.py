"""The shared vocabulary: unit kinds, roles, levels, statuses, urgencies, actions."""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    COUNTY = "county"  # 县
    TOWNSHIP = "township"  # 乡镇、街道
    VILLAGE = "village"  # 村、社区
    DEPARTMENT = "department"  # 安委成员单位
    ENTERPRISE = "enterprise"  # 生产经营单位


class EnterpriseStatus(StrEnum):
    OPERATING = "operating"  # 正常生产
    SUSPENDED = "suspended"  # 停产整顿
    CLOSED = "closed"  # 关闭


class PostRole(StrEnum):
    PRINCIPAL = "principal"  # 主要负责人
    DEPUTY_SAFETY = "deputy_safety"  # 分管安全负责人
    LEADERSHIP_MEMBER = "leadership_member"  # 其他班子成员
    SAFETY_MANAGER = "safety_manager"  # 安全管理人员
    CLERK = "clerk"  # 工作人员
    # 党政同责: the party secretary of a county or township stands beside its principal.
    PARTY_SECRETARY = "party_secretary"  # 党委书记


class ChainRole(StrEnum):
    """Positions in a hazard's responsibility chain (一岗双责), as escalation steps name them."""

    ENTERPRISE_PRINCIPAL = "enterprise.principal"
    ENTERPRISE_SAFETY_MANAGER = "enterprise.safety_manager"
    TOWNSHIP_PRINCIPAL = "township.principal"
    TOWNSHIP_IN_CHARGE = "township.in_charge"
    TOWNSHIP_PARTY_SECRETARY = "township.party_secretary"  # 乡镇（街道）党委书记
    DEPARTMENT_HEAD = "department.head"
    DEPARTMENT_IN_CHARGE = "department.in_charge"
    COUNTY_PORTFOLIO_LEADER = "county.portfolio_leader"
    COUNTY_SAFETY_LEADER = "county.safety_leader"
    COUNTY_PRINCIPAL = "county.principal"
    COUNTY_PARTY_SECRETARY = "county.party_secretary"  # 县委书记
    COUNTY_OFFICE = "county_office"


class HazardLevel(StrEnum):
    GENERAL = "general"  # 一般事故隐患
    MAJOR = "major"  # 重大事故隐患


class HazardStatus(StrEnum):
    REPORTED = "reported"  # 登记
    CLASSIFIED = "classified"  # 判定
    RECTIFYING = "rectifying"  # 整改中
    RECTIFICATION_REPORTED = "rectification_reported"  # 申请验收
    ACCEPTED = "accepted"  # 验收通过
    CLOSED = "closed"  # 销号
    VOIDED = "voided"  # 作废 (a duplicate or mistaken report, with a reason)


class ListingLevel(StrEnum):
    COUNTY = "county"  # 县级挂牌
    CITY = "city"  # 市级挂牌
    PROVINCE = "province"  # 省级挂牌


class DeadlineKind(StrEnum):
    CALENDAR_DAYS = "calendar_days"  # 自然日
    WORKING_DAYS = "working_days"  # 工作日


class Urgency(StrEnum):
    NORMAL = "normal"  # waits for working hours
    URGENT = "urgent"  # goes first and is not held for a digest window, but not at night
    IMMEDIATE = "immediate"  # may reach a person at night (an accident, 立即停产撤人)


class EscalationAction(StrEnum):
    REMINDER = "reminder"  # 提醒
    OVERDUE_NOTICE = "overdue_notice"  # 整改通知（逾期）
    SUPERVISION_LETTER = "supervision_letter"  # 督办函
    BULLETIN = "bulletin"  # 通报
    PROPOSE_LISTING = "propose_listing"  # 建议挂牌
    RAISE_LISTING = "raise_listing"  # 提级挂牌
    REFER_DISCIPLINE = "refer_discipline"  # 移交纪检监察
    ACCEPTANCE_REMINDER = "acceptance_reminder"  # 验收催办
    # County practice (#11). The old values above stay so frozen snapshots and old events parse.
    CLASSIFICATION_REMINDER = "classification_reminder"  # 判定催办
    RECTIFICATION_ORDER = "rectification_order"  # 限期整改通知（下达时）
    LISTING_NOTICE = "listing_notice"  # 挂牌督办告知
    PUBLICATION_REMINDER = "publication_reminder"  # 挂牌公布催办
    EXTENSION_DECISION_REMINDER = "extension_decision_reminder"  # 延期申请审批催办
    DELISTING_REMINDER = "delisting_reminder"  # 摘牌销号催办
    TASK = "task"  # 待办：a recommendation for a person to decide on (约谈, 停产整顿 …)
    ACCIDENT_ALERT = "accident_alert"  # 生产安全事故快报告知 (#15): the county chain, at once
    # An accident's statutory clock (上报, 补报, 调查报告, 批复) falls due soon / has passed.
    ACCIDENT_CLOCK_REMINDER = "accident_clock_reminder"
    ACCIDENT_CLOCK_OVERDUE = "accident_clock_overdue"
    ACCIDENT_ITEMS_REMINDER = "accident_items_reminder"  # 漏报: the missing items are chased
    DOCUMENT_ISSUED = "document_issued"  # 公文印发告知 (#14): a 督办函 a person issued
    # A 复工复产 campaign's 催办: a township's or department's enterprises not yet accepted.
    CAMPAIGN_REMINDER = "campaign_reminder"
    # A 停产整顿 order's 复工复产 step: the township reviews, the acceptance team accepts, or
    # the enterprise rectifies and applies again.
    RESUMPTION_STEP = "resumption_step"


class TaskKind(StrEnum):
    """What a task asks the county office to decide; the system never decides it itself."""

    INTERVIEW = "interview"  # 建议约谈
    SUSPENSION = "suspension"  # 建议停产整顿
    SUPERVISION_LETTER = "supervision_letter"  # 建议发督办函
    BULLETIN = "bulletin"  # 建议通报批评
    RAISE_LISTING = "raise_listing"  # 建议提级挂牌
    REFERRAL = "referral"  # 建议移交纪检监察（由有权机关决定）
    # Not a policy's: a notice failed for good (notification.alert); call the person, fix
    # the number or address.
    NOTICE_UNDELIVERED = "notice_undelivered"  # 通知未送达
    # Raised by accident events (#15), not by a step.
    CONCEALMENT_REVIEW = "concealment_review"  # 瞒报核查
    MISSING_ITEMS = "missing_items"  # 漏报：督促补报缺项
    # Raised by a campaign's 催办 (campaign.reminded): one per township or department.
    CAMPAIGN_PENDING = "campaign_pending"  # 复工复产验收未完成
    # Raised by a 停产整顿 order's steps: one per application, one per passed review.
    RESUMPTION_REVIEW = "resumption_review"  # 复工复产申请待乡镇（街道）审核
    RESUMPTION_ACCEPTANCE = "resumption_acceptance"  # 复工复产验收待组织
    # Not a policy's: the upward reporting link needs a person (reporting.alert, #16).
    REPORTING_ALERT = "reporting_alert"  # 上报异常


class TaskState(StrEnum):
    OPEN = "open"  # 待办
    DONE = "done"  # 已办结


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
