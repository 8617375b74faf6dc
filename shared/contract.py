"""The event contract between the services: topics, the envelope and typed payloads.

This module is the contract. A consumer parses every message with `Envelope.parse_message`
and `envelope.typed_payload()`; what does not parse goes to `<topic>.dlq`.
Changing a payload incompatibly means a new `version` of its event type.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# ---------------------------------------------------------------- topics
HAZARD_EVENTS = "hazard.events"
ORG_EVENTS = "org.events"
ESCALATION_EVENTS = "escalation.events"
NOTIFICATION_EVENTS = "notification.events"
# Accidents (生产安全事故) and 停产整顿 / 复工复产验收 (#15): their own topic, so consumers of
# hazard.events never meet a payload they do not know.
ACCIDENT_EVENTS = "accident.events"
# The reporting service's own events (its alerts to the county office, #16).
REPORTING_EVENTS = "reporting.events"
ALL_TOPICS = (
    HAZARD_EVENTS,
    ORG_EVENTS,
    ESCALATION_EVENTS,
    NOTIFICATION_EVENTS,
    ACCIDENT_EVENTS,
    REPORTING_EVENTS,
)
DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


class Producer(StrEnum):
    HAZARD_API = "hazard_api"
    ESCALATION = "escalation"
    NOTIFICATION = "notification"
    REPORTING = "reporting"


# The one service that publishes each topic (the repair asks it for what it sent).
TOPIC_PRODUCERS = {
    HAZARD_EVENTS: Producer.HAZARD_API,
    ORG_EVENTS: Producer.HAZARD_API,
    ESCALATION_EVENTS: Producer.ESCALATION,
    NOTIFICATION_EVENTS: Producer.NOTIFICATION,
    ACCIDENT_EVENTS: Producer.HAZARD_API,
    REPORTING_EVENTS: Producer.REPORTING,
}


# ---------------------------------------------------------------- shared vocabulary
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
    # Not a policy's: the upward reporting link needs a person (reporting.alert, #16).
    REPORTING_ALERT = "reporting_alert"  # 上报异常


class TaskState(StrEnum):
    OPEN = "open"  # 待办
    DONE = "done"  # 已办结


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


# ---------------------------------------------------------------- envelope
class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(default=1, ge=1)
    occurred_at: AwareDatetime
    aggregate_id: str = Field(min_length=1, max_length=100)
    producer: str = Field(min_length=1, max_length=50)
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return v.astimezone(UTC)

    @classmethod
    def of(
        cls,
        payload: BaseModel,
        *,
        aggregate_id: str,
        producer: Producer | str,
        occurred_at: datetime,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        event_type, version = EVENT_TYPES_BY_MODEL[type(payload)]
        return cls(
            event_id=event_id or uuid.uuid4(),
            type=event_type,
            version=version,
            occurred_at=occurred_at,
            aggregate_id=aggregate_id,
            producer=str(producer),
            payload=payload.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def parse_message(cls, raw: bytes | None) -> Envelope:
        if raw is None:
            raise ValueError("empty message")
        return cls.model_validate_json(raw)

    def typed_payload(self) -> BaseModel:
        """The payload as its model; raises for an unknown type/version or a bad payload."""
        model = PAYLOAD_MODELS.get((self.type, self.version))
        if model is None:
            raise ValueError(f"unknown event type {self.type!r} version {self.version}")
        return model.model_validate(self.payload)


# ---------------------------------------------------------------- org.events
class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitUpserted(_Payload):
    """Full state of a unit after a change (org.unit_upserted)."""

    unit_id: str
    kind: UnitKind
    name: str
    area_code: str
    parent_id: str | None = None
    is_safety_office: bool = False  # the 县安委办 (seated in 应急管理局)
    credit_code: str | None = None  # enterprises: GB 32100 unified social credit code
    industry_code: str | None = None
    industry_name: str | None = None
    territorial_unit_id: str | None = None
    supervising_department_ids: list[str] = []
    high_risk: bool = False
    status: EnterpriseStatus | None = None
    # A department supervises the industries it answers for (管行业必须管安全): GB/T 4754
    # codes or prefixes ("C26" covers "C2661"); an enterprise of one is in its scope and chain
    # without an explicit link. Added in #12; the default keeps older events parsing.
    regulated_industry_codes: list[str] = []


class PersonUpserted(_Payload):
    person_id: str
    name: str
    mobile: str | None = None
    email: str | None = None
    active: bool = True


class PostUpserted(_Payload):
    """A post: `holder_person_id` None means vacant; `acting` marks an acting holder (代理).

    Who holds it on a given (Beijing) day, added in #12 with defaults so older events parse:
    - `acting_person_id` stands in (代理) from `acting_from` to `acting_until`, both days
      included, an open end meaning "until further notice";
    - `holder_from` is the handover date: before it `previous_holder_person_id` (None: vacant)
      still holds the post, from it `holder_person_id`.
    """

    post_id: str
    unit_id: str
    role: PostRole
    title: str
    holder_person_id: str | None = None
    acting: bool = False
    portfolio_unit_ids: list[str] = []
    portfolio_industry_codes: list[str] = []
    acting_person_id: str | None = None
    acting_from: date | None = None
    acting_until: date | None = None
    holder_from: date | None = None
    previous_holder_person_id: str | None = None


class PostRemoved(_Payload):
    post_id: str
    unit_id: str


class AccountChanged(_Payload):
    """A login account was locked, unlocked, deleted or had its password changed
    (org.account_changed, key = user id): every service refuses the account's tokens while
    `active` is false, and tokens issued before `tokens_valid_from` always."""

    user_id: str
    active: bool
    tokens_valid_from: AwareDatetime | None = None


class CalendarScheduleLoaded(_Payload):
    """A year's official holiday schedule (国务院办公厅放假安排) was loaded or replaced
    (org.calendar_schedule_loaded, key = `calendar:<year>`): every service uses it from now
    on, in place of the packaged data or the estimate. A higher `version` replaces a lower."""

    year: int = Field(ge=2000, le=2100)
    version: int = Field(ge=1)
    holidays: list[date]  # 放假日期
    workdays: list[date] = []  # 调休上班日期
    notice_no: str = Field(min_length=1, max_length=100)  # e.g. 国办发明电〔2026〕12号
    loaded_by: str  # the user id of whoever loaded it
    loaded_at: AwareDatetime


# ---------------------------------------------------------------- hazard.events
class HazardFacts(_Payload):
    """What every hazard event carries: the hazard's state after the transition."""

    hazard_id: str
    code: str | None = None  # human-readable number, e.g. 隐患编号
    status: HazardStatus
    level: HazardLevel | None = None
    grade: int | None = Field(default=None, ge=1, le=3)
    unit_id: str
    unit_name: str
    area_code: str
    industry_code: str | None = None
    township_id: str | None = None
    department_ids: list[str] = []
    description: str
    deadline_at: AwareDatetime | None = None
    deadline_kind: DeadlineKind | None = None
    deadline_provisional: bool = False
    listing_level: ListingLevel | None = None
    listing_body_id: str | None = None
    listed_at: AwareDatetime | None = None
    classified_at: AwareDatetime | None = None
    rectification_reported_at: AwareDatetime | None = None
    acceptance_due_at: AwareDatetime | None = None
    actor_person_id: str | None = None
    # Added for county practice (#11); optional so older events still parse.
    source: str | None = None  # who found it: self_check, inspection, complaint, 督查 …
    reported_at: AwareDatetime | None = None
    listing_published_at: AwareDatetime | None = None  # 挂牌公布
    extension_requested_at: AwareDatetime | None = None  # a request awaiting its decision
    accepted_at: AwareDatetime | None = None  # 验收通过: the delisting clock starts


class HazardEventType(StrEnum):
    REPORTED = "hazard.reported"
    CLASSIFIED = "hazard.classified"
    RECTIFICATION_STARTED = "hazard.rectification_started"
    LISTED = "hazard.listed"
    LISTING_RAISED = "hazard.listing_raised"
    EXTENSION_REQUESTED = "hazard.extension_requested"
    EXTENSION_APPROVED = "hazard.extension_approved"
    EXTENSION_REJECTED = "hazard.extension_rejected"
    RECTIFICATION_REPORTED = "hazard.rectification_reported"
    ACCEPTANCE_FAILED = "hazard.acceptance_failed"
    ACCEPTED = "hazard.accepted"
    CLOSED = "hazard.closed"
    LISTING_PUBLISHED = "hazard.listing_published"  # 挂牌督办通知书公布
    RECLASSIFIED = "hazard.reclassified"  # 一般 ↔ 重大, with a reason
    VOIDED = "hazard.voided"  # 作废, with a reason
    # The official holiday schedule of a year was loaded: a working-day deadline moved (#12).
    DEADLINE_RECOMPUTED = "hazard.deadline_recomputed"


class HazardEvent(_Payload):
    """One hazard transition; `event` names it, `facts` is the state after it."""

    event: HazardEventType
    facts: HazardFacts
    note: str | None = None


# ---------------------------------------------------------------- accident.events
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


class AccidentFacts(_Payload):
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


class AccidentEvent(_Payload):
    """One accident transition or flag; `facts` is the state after it."""

    event: AccidentEventType
    facts: AccidentFacts
    note: str | None = None


class SuspensionStatus(StrEnum):
    SUSPENDED = "suspended"  # 停产整顿中
    APPLIED = "applied"  # 已申请复工复产
    REVIEWED = "reviewed"  # 乡镇（街道）已审核
    ACCEPTED = "accepted"  # 验收合格
    RESUMED = "resumed"  # 已复工复产


class SuspensionFacts(_Payload):
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


class SuspensionEventType(StrEnum):
    ORDERED = "suspension.ordered"  # 停产停业整顿
    APPLIED = "suspension.applied"  # 复工复产申请
    REVIEWED = "suspension.reviewed"  # 乡镇审核
    ACCEPTANCE_FAILED = "suspension.acceptance_failed"
    ACCEPTED = "suspension.accepted"  # 复工复产验收合格
    RESUMED = "suspension.resumed"


class SuspensionEvent(_Payload):
    event: SuspensionEventType
    facts: SuspensionFacts
    note: str | None = None


class CampaignStatus(StrEnum):
    OPEN = "open"  # 复工复产验收进行中
    CLOSED = "closed"  # 已结束


class CampaignFacts(_Payload):
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


class CampaignEvent(_Payload):
    event: CampaignEventType
    facts: CampaignFacts
    unit_id: str | None = None  # the enterprise an acceptance was about
    pending_by_township: dict[str, list[str]] = {}  # township id → enterprise ids
    pending_by_department: dict[str, list[str]] = {}  # department id → enterprise ids
    note: str | None = None


# ---------------------------------------------------------------- hazard.events: documents
# Official documents (公文, #14) go on hazard.events keyed by their hazard (a 通报 without one
# by its own id): escalation, which consumes that topic, closes the 拟发督办函 task with them.
class DocumentType(StrEnum):
    RECTIFICATION_NOTICE = "rectification_notice"  # 隐患整改通知书
    LISTING_NOTICE = "listing_notice"  # 挂牌督办通知书
    SUPERVISION_LETTER = "supervision_letter"  # 督办函
    BULLETIN = "bulletin"  # 通报
    DELISTING_NOTICE = "delisting_notice"  # 摘牌销号通知


class DocumentRef(_Payload):
    """An issued document as a text cites it: its 文号 and where to read it."""

    document_id: str
    doc_type: DocumentType
    doc_no: str
    title: str
    issuing_body: str
    url: str  # relative to hazard_api (the portal shows /documents/{id})


class DocumentIssued(_Payload):
    """A person issued (签发) a document: it has its 文号 and is immutable from now on
    (document.issued). `replaces_id`: the issued document this one corrects."""

    document_id: str
    doc_type: DocumentType
    doc_no: str  # 文号, e.g. 演示县安委办〔2026〕12号
    title: str
    issuing_body: str
    hazard_id: str | None = None
    unit_id: str | None = None
    task_id: str | None = None  # the escalation task (拟发督办函) it answers
    replaces_id: str | None = None
    sha256: str
    url: str  # the document's PDF, relative to hazard_api
    issued_at: AwareDatetime
    issued_by_person_id: str | None = None


# ---------------------------------------------------------------- escalation.events
class StepFired(_Payload):
    """An escalation step fired: notify these chain roles about this hazard."""

    case_id: str
    hazard_id: str
    policy_id: str
    policy_version: int
    step_key: str
    step_index: int
    repeat_index: int = 0
    action: EscalationAction
    urgency: Urgency
    target_roles: list[ChainRole]
    due_at: AwareDatetime
    fired_at: AwareDatetime
    stop_condition: str | None = None
    facts: HazardFacts
    # Added for county practice (#11); optional so older events still parse.
    step_title: str | None = None  # the policy's words for the step, e.g. 逾期未整改持续督办
    # Repeats of an open-ended step (until the hazard is closed) number on: 第N次.
    open_ended: bool = False
    task_id: str | None = None  # the task this step created (action `task`)
    # An accident's step (#15): `hazard_id` is then the accident's id and `facts` carry its
    # unit (the chain is resolved from them as for a hazard); the accident itself is here.
    accident: AccidentFacts | None = None
    # The issued document the notice concerns (#14): the texts cite its 文号 and the proof of
    # service shows it.
    document: DocumentRef | None = None
    # A campaign's 催办 (#15): `facts.unit_id` is then the township or department chased, and
    # `pending` how many of its enterprises have not passed 复工复产验收.
    campaign: CampaignFacts | None = None
    pending: int | None = None


class CaseChanged(_Payload):
    """A case started, was re-baselined, paused, resumed or stopped."""

    case_id: str
    hazard_id: str
    state: str
    policy_id: str
    policy_version: int
    next_fire_at: AwareDatetime | None = None
    reason: str
    # Set when the case switched policy (re-selection): the version it left.
    previous_policy_id: str | None = None
    previous_policy_version: int | None = None


class TaskCreated(_Payload):
    """An escalation step created a task for a person to decide on (escalation.task_created)."""

    task_id: str
    case_id: str | None  # None for a campaign's task (no case chases a campaign)
    hazard_id: str
    kind: TaskKind
    title: str
    assignee_role: ChainRole
    step_key: str
    repeat_index: int = 0
    due_at: AwareDatetime
    created_at: AwareDatetime
    facts: HazardFacts


class TaskClosed(_Payload):
    """A person closed a task with a note (escalation.task_closed)."""

    task_id: str
    case_id: str | None
    hazard_id: str
    kind: TaskKind
    closed_by: str
    note: str
    closed_at: AwareDatetime


class ReportKind(StrEnum):
    QUARTERLY = "quarterly"  # 季报
    YEARLY = "yearly"  # 年报


class ReportDue(_Payload):
    """An enterprise's own statistics report (事故隐患排查治理情况统计) falls due: remind these
    roles of every operating enterprise (escalation.report_due). One event per reminder
    (period and lead time), emitted once."""

    reminder_id: str
    kind: ReportKind
    year: int = Field(ge=2000, le=9999)
    quarter: int | None = Field(default=None, ge=1, le=4)  # None for the yearly report
    due_date: date  # the last day to report, a Beijing calendar date
    lead_days: int = Field(ge=0)
    target_roles: list[ChainRole]
    remind_at: AwareDatetime


class AuditorAnomaly(_Payload):
    case_id: str
    hazard_id: str
    kind: str
    detail: str


# ---------------------------------------------------------------- notification.events
class NotificationStatus(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"


class NotificationChanged(_Payload):
    """A notice to one person on one channel changed state (sent/delivered/failed/acknowledged)."""

    notification_id: str
    request_event_id: str  # the escalation event that asked for it
    hazard_ids: list[str]
    person_id: str
    person_name: str
    chain_role: ChainRole | None = None
    channel: Channel
    provider: str | None = None
    status: NotificationStatus
    at: AwareDatetime
    detail: str | None = None


class NotificationAlert(_Payload):
    """Something no retry will fix: a notice failed for good or dead-lettered, or a role
    nobody holds. Escalation turns failed deliveries into tasks for the county office."""

    # "dead_letter": no channel reached the person; "delivery_failed": one channel failed for
    # good, another still may; "unresolvable": a role nobody holds.
    kind: str
    request_event_id: str
    hazard_ids: list[str]
    person_id: str | None = None
    person_name: str | None = None
    channel: Channel | None = None  # of the failed delivery
    notification_id: str | None = None
    detail: str
    at: AwareDatetime


# ---------------------------------------------------------------- reporting.events
class ReportingAlert(_Payload):
    """Something on the upward reporting link only a person can settle; escalation turns it
    into a task for the county office (上报异常)."""

    # "endpoint_disabled": the provincial system answered 410; "dead_letter": a submission
    # was not delivered within the retry window; "info_requested": the city or province asks
    # for information; "ack_overdue": an accident report not acknowledged within 2 hours.
    kind: str
    subject_id: str  # the submission's webhook id, the request's message id …
    item_key: str | None = None  # "hazard:<id>", "accident:<id>"
    hazard_ids: list[str] = []
    accident_id: str | None = None
    detail: str  # what the county office reads (Simplified Chinese)
    at: AwareDatetime


# ---------------------------------------------------------------- registry
EVENT_TYPES: dict[tuple[str, int], type[BaseModel]] = {
    ("org.unit_upserted", 1): UnitUpserted,
    ("org.person_upserted", 1): PersonUpserted,
    ("org.post_upserted", 1): PostUpserted,
    ("org.post_removed", 1): PostRemoved,
    ("org.account_changed", 1): AccountChanged,
    ("org.calendar_schedule_loaded", 1): CalendarScheduleLoaded,
    ("hazard.event", 1): HazardEvent,
    ("accident.event", 1): AccidentEvent,
    ("suspension.event", 1): SuspensionEvent,
    ("campaign.event", 1): CampaignEvent,
    ("document.issued", 1): DocumentIssued,
    ("escalation.step_fired", 1): StepFired,
    ("escalation.case_changed", 1): CaseChanged,
    ("escalation.anomaly", 1): AuditorAnomaly,
    ("escalation.task_created", 1): TaskCreated,
    ("escalation.task_closed", 1): TaskClosed,
    ("escalation.report_due", 1): ReportDue,
    ("notification.changed", 1): NotificationChanged,
    ("notification.alert", 1): NotificationAlert,
    ("reporting.alert", 1): ReportingAlert,
}
PAYLOAD_MODELS = EVENT_TYPES
EVENT_TYPES_BY_MODEL: dict[type[BaseModel], tuple[str, int]] = {
    model: key for key, model in EVENT_TYPES.items()
}


def contract_schema() -> dict[str, Any]:
    """JSON Schema of every event type (AsyncAPI-style documentation of the topics)."""
    return {
        f"{name}@v{version}": model.model_json_schema()
        for (name, version), model in EVENT_TYPES.items()
    }
