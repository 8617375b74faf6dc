"""accident.events: accidents, 停产整顿 suspensions and 复工复产 campaigns."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from shared.contract.base import Payload


class AccidentClass(StrEnum):
    """事故等级 by 国务院令第493号 第三条 (the worst criterion decides)."""

    GENERAL = "general"  # 一般事故
    LARGER = "larger"  # 较大事故
    MAJOR = "major"  # 重大事故
    ESPECIALLY_MAJOR = "especially_major"  # 特别重大事故


class AccidentStatus(StrEnum):
    REPORTED = "reported"  # 已接报（处置、续报中）
    INVESTIGATION_REPORTED = "investigation_reported"  # 调查报告已提交
    DECIDED = "decided"  # 已批复
    CLOSED = "closed"  # 结案（四不放过）


class AccidentFacts(Payload):
    """What every accident event carries: the accident's state after the transition."""

    accident_id: str
    code: str
    status: AccidentStatus
    accident_class: AccidentClass
    investigation_level: str  # county, city, province, state_council
    unit_id: str
    unit_name: str
    area_code: str
    industry_code: str | None = None
    township_id: str | None = None
    department_ids: list[str] = []
    accident_type: str
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    channel: str
    deaths: int | None = None
    missing: int | None = None
    serious_injuries: int | None = None
    direct_loss_yuan: int | None = None
    late_minutes: int | None = None  # 迟报: minutes past the hour
    missing_items: list[str] = []  # 漏报: required contents left out
    concealment_review: bool = False  # 瞒报 review opened
    upward_reported_at: AwareDatetime | None = None
    investigation_due_at: AwareDatetime | None = None
    investigation_reported_at: AwareDatetime | None = None
    decision_due_at: AwareDatetime | None = None
    actor_person_id: str | None = None


class AccidentEventType(StrEnum):
    REPORTED = "accident.reported"  # 快报 received (the chain is told at once)
    FOLLOW_UP = "accident.follow_up"  # 续报 / 补报 recorded
    CLASS_CHANGED = "accident.class_changed"  # the statutory class moved (investigation level)
    REPORT_ISSUED = "accident.report_issued"  # a report was signed off (签发) and sent upward
    LATE_FLAGGED = "accident.late_flagged"  # 迟报
    INCOMPLETE_FLAGGED = "accident.incomplete_flagged"  # 漏报
    CONCEALMENT_REVIEW_OPENED = "accident.concealment_review_opened"  # 瞒报 review task
    FINDING_RECORDED = "accident.finding_recorded"  # 谎报 / 瞒报 finding, with evidence
    INVESTIGATION_EXTENDED = "accident.investigation_extended"
    INVESTIGATION_REPORTED = "accident.investigation_reported"
    DECISION_EXTENDED = "accident.decision_extended"
    DECIDED = "accident.decided"  # 批复
    CLOSED = "accident.closed"


class AccidentReportFacts(Payload):
    """One report as it was signed off (签发): what goes upward is this report's own contents,
    not the accident's latest figures, which a later report may already have changed."""

    report_id: str
    seq: int  # 1: the first report (快报)
    kind: str  # first 快报, follow_up 续报, supplementary 补报
    received_at: AwareDatetime
    channel: str
    account: str
    measures_taken: str | None = None
    deaths: int | None = None  # None: this report did not state it
    missing: int | None = None
    serious_injuries: int | None = None
    minor_injuries: int | None = None
    trapped: int | None = None
    poisoned: int | None = None
    direct_loss_yuan: int | None = None
    class_after: AccidentClass  # the class its figures give
    within_window: bool  # received within the 30-day (7-day) window: may move the class
    moved_class: bool = False  # its figures moved the statutory class
    issued_at: AwareDatetime


class AccidentEvent(Payload):
    """One accident transition or flag; `facts` is the state after it; `report` the report
    signed off, on `accident.report_issued` only."""

    event: AccidentEventType
    facts: AccidentFacts
    note: str | None = None
    report: AccidentReportFacts | None = None


class SuspensionStatus(StrEnum):
    SUSPENDED = "suspended"  # 停产整顿中
    APPLIED = "applied"  # 已申请复工复产
    REVIEWED = "reviewed"  # 乡镇（街道）已审核
    ACCEPTED = "accepted"  # 验收合格
    RESUMED = "resumed"  # 已复工复产


class SuspensionFacts(Payload):
    suspension_id: str
    status: SuspensionStatus
    unit_id: str
    unit_name: str
    township_id: str | None = None
    department_ids: list[str] = []
    order_no: str
    accident_id: str | None = None
    ordered_at: AwareDatetime
    resumed_at: AwareDatetime | None = None
    actor_person_id: str | None = None
    # The township's review: the acceptance team's 10 days run from it. Optional so older
    # events still parse.
    reviewed_at: AwareDatetime | None = None


class SuspensionEventType(StrEnum):
    ORDERED = "suspension.ordered"  # 停产停业整顿
    APPLIED = "suspension.applied"  # 复工复产申请
    # 乡镇审核: passed when `facts.status` is `reviewed`, returned to 整顿 when `suspended`.
    REVIEWED = "suspension.reviewed"
    ACCEPTANCE_FAILED = "suspension.acceptance_failed"
    ACCEPTED = "suspension.accepted"  # 复工复产验收合格
    RESUMED = "suspension.resumed"


class SuspensionEvent(Payload):
    event: SuspensionEventType
    facts: SuspensionFacts
    note: str | None = None


class CampaignStatus(StrEnum):
    OPEN = "open"  # 复工复产验收进行中
    CLOSED = "closed"  # 已结束


class CampaignFacts(Payload):
    """A county 复工复产 campaign after a holiday: its scope and how far it got."""

    campaign_id: str
    name: str
    status: CampaignStatus
    industry_prefixes: list[str]  # GB/T 4754 codes or prefixes
    township_ids: list[str]
    resume_by: AwareDatetime | None = None
    enterprises: int
    accepted: int
    actor_person_id: str | None = None
    notice_no: str | None = None  # 通知文号; optional so older events still parse


class CampaignEventType(StrEnum):
    OPENED = "campaign.opened"
    ACCEPTED = "campaign.accepted"  # one enterprise passed its 复工复产验收
    ACCEPTANCE_FAILED = "campaign.acceptance_failed"
    # A reminder point: the enterprises not yet accepted, by township and by department, for
    # escalation to chase.
    REMINDED = "campaign.reminded"
    CLOSED = "campaign.closed"


class CampaignEvent(Payload):
    event: CampaignEventType
    facts: CampaignFacts
    unit_id: str | None = None  # the enterprise an acceptance was about
    pending_by_township: dict[str, list[str]] = {}  # township id → enterprise ids
    pending_by_department: dict[str, list[str]] = {}  # department id → enterprise ids
    note: str | None = None
