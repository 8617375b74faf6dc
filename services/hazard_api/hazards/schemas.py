"""Request and response bodies of the hazard lifecycle (validated at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

from services.hazard_api.fields import INT4_MAX, Blankable, Filled, Printable, text
from services.hazard_api.hazards.models import SOURCE_LABELS, HazardSource
from shared.contract import DeadlineKind, HazardLevel, HazardStatus, ListingLevel
from shared.labels import (
    DEADLINE_KIND_LABELS,
    HAZARD_LEVEL_LABELS,
    HAZARD_STATUS_LABELS,
    LISTING_LEVEL_LABELS,
    deadline_label,
    label,
)

Text = Annotated[str, text(2000), Printable, Filled]
Short = Annotated[str, text(100), Printable, Filled]
NoticeNo = Annotated[str, text(60), Printable, Filled]
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=36)]
Yuan = Annotated[int, Field(ge=0, le=INT4_MAX)]  # integer columns
Days = Annotated[int, Field(ge=1, le=365)]
AttachmentIds = Annotated[list[EntityId], Field(min_length=1, max_length=50)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The cross-field rules below, written into the schema too, so the OpenAPI says what is valid.
_GPS_PAIR: dict[str, Any] = {
    "anyOf": [
        {"properties": {"latitude": {"type": "null"}, "longitude": {"type": "null"}}},
        {
            "properties": {"latitude": {"type": "number"}, "longitude": {"type": "number"}},
            "required": ["latitude", "longitude"],
        },
    ]
}
_GRADE_BY_LEVEL: dict[str, Any] = {
    "anyOf": [
        {"properties": {"level": {"const": "general"}, "grade": {"type": "null"}}},
        {
            "properties": {
                "level": {"const": "major"},
                "grade": {"type": "integer"},
                "criterion_id": {"type": "string"},
            },
            "required": ["grade", "criterion_id"],
        },
    ]
}


class HazardIn(_In):
    """登记隐患. An enterprise account reports for its own unit when `unit_id` is left out."""

    model_config = ConfigDict(json_schema_extra=_GPS_PAIR)

    unit_id: EntityId | None = None
    location: Annotated[str, text(200), Printable, Filled]
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    description: Text
    source: HazardSource
    found_at: AwareDatetime

    @model_validator(mode="after")
    def _gps_pair(self) -> HazardIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("经纬度须同时填写或同时不填")
        return self


class ClassifyIn(_In):
    """判定: a major hazard needs its grade (1–3) and the criterion it falls under."""

    model_config = ConfigDict(json_schema_extra=_GRADE_BY_LEVEL)

    level: HazardLevel
    grade: int | None = Field(default=None, ge=1, le=3)
    criterion_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    deadline_days: Days | None = None
    deadline_kind: DeadlineKind | None = None

    @model_validator(mode="after")
    def _major_needs_grade(self) -> ClassifyIn:
        if self.level == HazardLevel.MAJOR and (self.grade is None or self.criterion_id is None):
            raise ValueError("重大事故隐患须填写分级（1-3级）和判定依据")
        if self.level == HazardLevel.GENERAL and self.grade is not None:
            raise ValueError("一般事故隐患不分级")
        return self


Criterion = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Reason = Annotated[str, text(1000), Printable, Filled]


class ProposalIn(_In):
    """判定建议: the enterprise judges its hazard major; the supervisor confirms (classify)."""

    grade: int = Field(ge=1, le=3)
    criterion_id: Criterion
    reason: Reason


class ReclassifyIn(ClassifyIn):
    """改判 (一般 ↔ 重大) with its reason; the deadline is set again from now."""

    reason: Reason


class VoidIn(_In):
    """作废: a duplicate or mistaken report."""

    reason: Reason


class PlanIn(_In):
    """治理方案, six parts."""

    goal_and_tasks: Text
    methods_and_measures: Text
    funds_and_materials: Text
    organisation_and_persons: Text
    time_limit: Text
    safety_and_emergency: Text
    funds_budget: Yuan = 0
    responsible_person: Annotated[str, text(50), Printable, Filled]


class NoteIn(_In):
    note: Annotated[str, text(1000, min_length=0), Printable, Blankable] | None = None


class RectifiedIn(_In):
    """申请验收 (or 立查立改): what was done, what it cost, and the evidence uploaded for it."""

    summary: Text
    funds_spent: Yuan = 0
    attachment_ids: AttachmentIds


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    goal_and_tasks: str
    methods_and_measures: str
    funds_and_materials: str
    organisation_and_persons: str
    time_limit: str
    safety_and_emergency: str
    funds_budget: int
    responsible_person: str
    submitted_at: datetime


class HazardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    unit_id: str
    unit_name: str
    area_code: str
    industry_code: str | None
    township_id: str | None
    department_ids: list[str]
    location: str
    latitude: float | None
    longitude: float | None
    description: str
    source: HazardSource
    status: HazardStatus
    level: HazardLevel | None
    grade: int | None
    criterion_id: str | None
    criterion_version: int | None = None
    found_at: datetime
    reported_at: datetime
    classified_at: datetime | None
    deadline_at: datetime | None
    deadline_kind: DeadlineKind | None
    deadline_days: int | None
    deadline_provisional: bool
    original_deadline_at: datetime | None
    overdue: bool = False
    on_the_spot: bool
    rectification_reported_at: datetime | None
    acceptance_due_at: datetime | None
    funds_spent: int
    accepted_at: datetime | None
    closed_at: datetime | None
    listing_level: ListingLevel | None
    listing_body_id: str | None
    listing_body_name: str | None
    listing_notice_no: str | None
    listed_at: datetime | None
    listing_published: bool
    delisting_notice_no: str | None
    listing_published_at: datetime | None = None
    proposed_grade: int | None = None
    proposed_criterion_id: str | None = None
    voided_at: datetime | None = None
    void_reason: str | None = None

    # For display: the codes above in Chinese and the deadline in Beijing time.
    @computed_field(description="状态（中文）")  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return label(HAZARD_STATUS_LABELS, self.status)

    @computed_field(description="隐患等级（中文），未判定为空")  # type: ignore[prop-decorator]
    @property
    def level_label(self) -> str:
        return label(HAZARD_LEVEL_LABELS, self.level)

    @computed_field(description="挂牌级别（中文），未挂牌为空")  # type: ignore[prop-decorator]
    @property
    def listing_level_label(self) -> str:
        return label(LISTING_LEVEL_LABELS, self.listing_level)

    @computed_field(description="整改期限计算方式（中文）")  # type: ignore[prop-decorator]
    @property
    def deadline_kind_label(self) -> str:
        return label(DEADLINE_KIND_LABELS, self.deadline_kind)

    @computed_field(description="隐患来源（中文）")  # type: ignore[prop-decorator]
    @property
    def source_label(self) -> str:
        return label(SOURCE_LABELS, self.source)

    @computed_field(description="整改期限（北京时间），预计的加注（预计）")  # type: ignore[prop-decorator]
    @property
    def deadline_label(self) -> str:
        return deadline_label(self.deadline_at, self.deadline_provisional)


class HazardPage(BaseModel):
    items: list[HazardOut]
    total: int = Field(description="符合条件的隐患数；超过 2000 条时只计到 2000（见 total_exact）")
    total_exact: bool = Field(
        default=True,
        description="total 是否精确；为 false 时表示“至少 total 条”（大表不逐页全量计数）",
    )
    page: int
    page_size: int
