"""Request and response bodies of accidents (validated at the edge)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.contract import AccidentClass, AccidentStatus

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=36)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{5,20}$")]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}([0-9]{6})?$")]
Count = Annotated[int, Field(ge=0, le=100_000)]
Yuan = Annotated[int, Field(ge=0, le=1_000_000_000_000)]
# Evidence: a document number (文号), an attachment id or a short description of the record.
Evidence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Channel(StrEnum):
    """接报渠道: how the county learned of the accident."""

    ENTERPRISE = "enterprise"  # 企业报告
    PHONE = "phone"  # 电话接报（值班）
    HOSPITAL = "hospital"  # 医院
    PUBLIC = "public"  # 群众举报
    MEDIA = "media"  # 媒体报道
    HIGHER_AUTHORITY = "higher_authority"  # 上级交办


# A first report through these, with no enterprise report, opens a 瞒报 review.
OUTSIDE_CHANNELS = frozenset(
    {Channel.HOSPITAL, Channel.PUBLIC, Channel.MEDIA, Channel.HIGHER_AUTHORITY}
)
CHANNEL_LABELS = {
    Channel.ENTERPRISE: "企业报告",
    Channel.PHONE: "电话接报",
    Channel.HOSPITAL: "医院",
    Channel.PUBLIC: "群众举报",
    Channel.MEDIA: "媒体报道",
    Channel.HIGHER_AUTHORITY: "上级交办",
}


class AccidentType(StrEnum):
    """事故类别 (GB 6441 groups, plus road traffic and fire for the 7-day window)."""

    ROAD_TRAFFIC = "road_traffic"  # 道路交通
    FIRE = "fire"  # 火灾
    EXPLOSION = "explosion"  # 爆炸（含火药爆炸、化学性爆炸）
    POISONING = "poisoning"  # 中毒和窒息
    COLLAPSE = "collapse"  # 坍塌
    FALL = "fall"  # 高处坠落
    MACHINERY = "machinery"  # 机械伤害
    LIFTING = "lifting"  # 起重伤害
    ELECTRIC = "electric"  # 触电
    OTHER = "other"  # 其他


class ReportKind(StrEnum):
    FIRST = "first"  # 快报
    FOLLOW_UP = "follow_up"  # 续报
    SUPPLEMENTARY = "supplementary"  # 补报


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CasualtiesIn(_In):
    """Casualties and loss (493号令 第十二条); a figure left out is 漏报 on a first report."""

    deaths: Count | None = None  # 死亡
    missing: Count | None = None  # 失踪
    serious_injuries: Count | None = None  # 重伤（含急性工业中毒）
    minor_injuries: Count | None = None  # 轻伤
    trapped: Count | None = None  # 被困
    poisoned: Count | None = None  # 中毒
    direct_loss_yuan: Yuan | None = None  # 初步估计的直接经济损失（元）


class QuickReportIn(CasualtiesIn):
    """快报 by the enterprise, or 接报 by a township, department or the county office."""

    unit_id: EntityId | None = None  # an enterprise account reports for itself when left out
    channel: Channel
    received_at: AwareDatetime | None = None  # 接报时间 (default: now)
    occurred_at: AwareDatetime
    area_code: AreaCode | None = None  # the place's GB/T 2260 code (default: the unit's)
    place: Place
    accident_type: AccidentType | None = None
    account: Text  # 事故简要经过
    measures_taken: Text | None = None  # 已经采取的措施
    reporter_name: Short
    reporter_phone: Phone


class FollowUpIn(CasualtiesIn):
    kind: Annotated[ReportKind, Field(description="follow_up 续报 or supplementary 补报")]
    channel: Channel = Channel.ENTERPRISE
    received_at: AwareDatetime | None = None
    account: Text
    measures_taken: Text | None = None
    reporter_name: Short
    reporter_phone: Phone


class FindingIn(_In):
    kind: Annotated[str, StringConstraints(pattern=r"^(false_report|concealment|none)$")]
    note: Text
    evidence: Evidence


class InvestigationIn(_In):
    """The investigation report: the cause, established (四不放过 1)."""

    cause: Text
    report_no: Short  # 调查报告文号
    evidence: Evidence


class ExtensionIn(_In):
    days: Annotated[int, Field(ge=1, le=60)]
    approval_no: Short  # 批准文号
    reason: Text


class DecisionIn(_In):
    decision_no: Short  # 批复文号
    summary: Text


class DealtWith(_In):
    person: Short
    unit: Short
    measure: Short  # 党纪政务处分, 行政处罚, 移送司法 …


class AccountabilityIn(_In):
    """四不放过 2: the responsible persons dealt with."""

    persons: Annotated[list[DealtWith], Field(min_length=1, max_length=200)]
    evidence: Evidence


class EducationIn(_In):
    """四不放过 3: those responsible and the workers educated."""

    responsible_persons: Text
    workers: Text
    evidence: Evidence


class MeasureIn(_In):
    description: Text
    hazard_id: EntityId  # the measure is a hazard of its own, accepted before the case closes


class MeasuresIn(_In):
    """四不放过 4: the corrective measures implemented."""

    measures: Annotated[list[MeasureIn], Field(min_length=1, max_length=100)]
    evidence: Evidence


class ClockOut(BaseModel):
    key: str
    title: str
    due_at: datetime
    due_label: str  # Beijing time
    state: str
    state_label: str


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    kind: str
    received_at: datetime
    channel: str
    account: str
    deaths: int | None
    missing: int | None
    serious_injuries: int | None
    minor_injuries: int | None
    trapped: int | None
    poisoned: int | None
    direct_loss_yuan: int | None
    reporter_name: str
    reporter_phone: str
    within_window: bool
    class_after: str
    signoff: str
    issued_at: datetime | None


class FourItem(BaseModel):
    """One of 四不放过: `key` (cause, accountability, education, measures), what it is once
    recorded, and whether it is."""

    key: str
    label: str
    done: bool


class AccidentOut(BaseModel):
    id: str
    code: str
    status: AccidentStatus
    status_label: str
    unit_id: str
    unit_name: str
    credit_code: str | None
    industry_code: str | None
    township_id: str | None
    area_code: str
    place: str
    accident_type: str
    occurred_at: datetime
    received_at: datetime
    channel: str
    channel_label: str
    deaths: int | None
    missing: int | None
    serious_injuries: int | None
    minor_injuries: int | None
    trapped: int | None
    poisoned: int | None
    direct_loss_yuan: int | None
    accident_class: AccidentClass
    class_label: str
    investigation_level: str
    investigation_level_label: str
    late_minutes: int | None  # 迟报
    missing_items: list[str]  # 漏报
    concealment_review: bool  # 瞒报 review open
    findings: list[dict[str, str]]
    flags: list[str]  # the flags in words: 迟报61分钟, 漏报：伤亡人数 …
    upward_reported_at: datetime | None
    clocks: list[ClockOut]
    four_items: list[FourItem]  # 四不放过, in order
    closed_at: datetime | None


class AccidentDetail(BaseModel):
    accident: AccidentOut
    reports: list[ReportOut]
    # The actions the caller may take now (what a page offers; the kernel still guards).
    allowed_actions: dict[str, str] = {}
