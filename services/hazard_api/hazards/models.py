"""Hazard records (事故隐患) and major-hazard treatment plans (治理方案): tables."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime

ID = String(36)


class HazardSource(StrEnum):
    SELF_CHECK = "self_check"  # 企业自查
    INSPECTION = "inspection"  # 监管检查
    COMPLAINT = "complaint"  # 举报、热线
    SUPERVISION = "supervision"  # 督查


SOURCE_LABELS: dict[str, str] = {
    HazardSource.SELF_CHECK: "企业自查",
    HazardSource.INSPECTION: "监管检查",
    HazardSource.COMPLAINT: "举报、热线",
    HazardSource.SUPERVISION: "督查",
}


class Hazard(Base):
    __tablename__ = "hazards"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 隐患编号
    # The unit with the hazard, and its facts as they were at intake (events carry them).
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    township_id: Mapped[str | None] = mapped_column(ID, index=True)
    department_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    location: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    level: Mapped[str | None] = mapped_column(String(10))
    grade: Mapped[int | None] = mapped_column(Integer)
    criterion_id: Mapped[str | None] = mapped_column(String(40))
    # The criteria catalogue version the criterion was chosen from (a hazard keeps it).
    criterion_version: Mapped[int | None] = mapped_column(Integer)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_by_user_id: Mapped[str] = mapped_column(ID)
    reported_by_person_id: Mapped[str | None] = mapped_column(ID)
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    classified_by_user_id: Mapped[str | None] = mapped_column(ID)
    # 整改期限: the end of a Shanghai day, with how it was counted.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_kind: Mapped[str | None] = mapped_column(String(20))
    deadline_days: Mapped[int | None] = mapped_column(Integer)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    original_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the deadline counts from (an order's time; an extension's: the deadline it
    # extends), so a newly published holiday schedule can count it again (#12).
    deadline_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rectification_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_the_spot: Mapped[bool] = mapped_column(Boolean, default=False)  # 立查立改
    rectification_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rectification_reported_by_user_id: Mapped[str | None] = mapped_column(ID)
    rectification_reported_by_person_id: Mapped[str | None] = mapped_column(ID)
    acceptance_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    funds_spent: Mapped[int] = mapped_column(Integer, default=0)  # 元
    # A request awaiting its decision (延期申请待审批).
    extension_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_user_id: Mapped[str | None] = mapped_column(ID)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_user_id: Mapped[str | None] = mapped_column(ID)
    # 挂牌督办
    listing_level: Mapped[str | None] = mapped_column(String(10))
    listing_body_id: Mapped[str | None] = mapped_column(ID)
    listing_body_name: Mapped[str | None] = mapped_column(String(100))
    listing_notice_no: Mapped[str | None] = mapped_column(String(60))
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    listing_published: Mapped[bool] = mapped_column(Boolean, default=False)
    listing_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 公布
    delisting_notice_no: Mapped[str | None] = mapped_column(String(60))
    # An enterprise's proposal that the hazard is major (判定建议); the supervisor decides.
    proposed_grade: Mapped[int | None] = mapped_column(Integer)
    proposed_criterion_id: Mapped[str | None] = mapped_column(String(40))
    proposal_reason: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proposed_by_user_id: Mapped[str | None] = mapped_column(ID)
    # 作废: a duplicate or mistaken report (terminal).
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by_user_id: Mapped[str | None] = mapped_column(ID)
    void_reason: Mapped[str | None] = mapped_column(Text)
    # Head of this hazard's audit chain (see audit.models).
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_hazards_status_deadline", Hazard.status, Hazard.deadline_at)
# The 台账 (migration 0010): a filter, then the sort key and the id tiebreaker, so a first page
# is read off an index in order and stops after one page.
Index("ix_hazards_found_id", Hazard.found_at, Hazard.id)
Index("ix_hazards_reported_id", Hazard.reported_at, Hazard.id)
Index("ix_hazards_deadline_id", Hazard.deadline_at, Hazard.id)
Index("ix_hazards_status_found", Hazard.status, Hazard.found_at, Hazard.id)
Index("ix_hazards_status_level_found", Hazard.status, Hazard.level, Hazard.found_at, Hazard.id)
Index("ix_hazards_level_found", Hazard.level, Hazard.found_at, Hazard.id)
Index("ix_hazards_township_found", Hazard.township_id, Hazard.found_at, Hazard.id)
Index("ix_hazards_unit_found", Hazard.unit_id, Hazard.found_at, Hazard.id)
Index("ix_hazards_listing_found", Hazard.listing_level, Hazard.found_at, Hazard.id)
Index("ix_hazards_extension_requested", Hazard.extension_requested_at)  # 待审批延期
# The running hazards' deadlines per unit (migration 0014): the 工作台 reads those from now on.
RUNNING_PREDICATE = text("status IN ('classified', 'rectifying')")
Index(
    "ix_hazards_running_unit_deadline",
    Hazard.unit_id,
    Hazard.deadline_at,
    postgresql_where=RUNNING_PREDICATE,
    sqlite_where=RUNNING_PREDICATE,
)


class HazardQueueCount(Base):
    """How many open hazards of a unit share a status and the clock-free facts the 工作台 queues
    test. Written only by the database triggers of migration 0014 (on every insert, update and
    delete of `hazards`); hazards/queues.py sums the rows of the caller's units."""

    __tablename__ = "hazard_queue_counts"

    unit_id: Mapped[str] = mapped_column(ID, primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    listed: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    extension_pending: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    has_deadline: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class TreatmentPlan(Base):
    """治理方案 of a major hazard: the six parts (16号令 第十五条)."""

    __tablename__ = "treatment_plans"

    hazard_id: Mapped[str] = mapped_column(
        ForeignKey("hazards.id", ondelete="CASCADE"), primary_key=True
    )
    goal_and_tasks: Mapped[str] = mapped_column(Text)  # 治理的目标和任务
    methods_and_measures: Mapped[str] = mapped_column(Text)  # 采取的方法和措施
    funds_and_materials: Mapped[str] = mapped_column(Text)  # 经费和物资的落实
    organisation_and_persons: Mapped[str] = mapped_column(Text)  # 负责治理的机构和人员
    time_limit: Mapped[str] = mapped_column(Text)  # 治理的时限和要求
    safety_and_emergency: Mapped[str] = mapped_column(Text)  # 安全措施和应急预案
    funds_budget: Mapped[int] = mapped_column(Integer, default=0)  # 元
    responsible_person: Mapped[str] = mapped_column(String(50))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_user_id: Mapped[str] = mapped_column(ID)


def chain_key(hazard_id: str) -> str:
    """The hazard's audit chain (see audit.models)."""
    return f"hazard:{hazard_id}"


def snapshot(h: Hazard | Mapping[str, Any]) -> dict[str, Any]:
    """The audited state of a hazard (JSON-safe, stable across databases); `h` may also be the
    column values of a hazard not yet written (intake builds no ORM object)."""
    get: Callable[[str], Any] = h.get if isinstance(h, Mapping) else functools.partial(getattr, h)

    def iso(key: str) -> str | None:
        v: datetime | None = get(key)
        return v.isoformat() if v is not None else None

    base = {
        "status": get("status"),
        "level": get("level"),
        "grade": get("grade"),
        "criterion_id": get("criterion_id"),
        "unit_id": get("unit_id"),
        "description": get("description"),
        "location": get("location"),
        "source": get("source"),
        "found_at": iso("found_at"),
        "deadline_at": iso("deadline_at"),
        "deadline_kind": get("deadline_kind"),
        "deadline_provisional": get("deadline_provisional"),
        "listing_level": get("listing_level"),
        "listing_body_id": get("listing_body_id"),
        "listing_notice_no": get("listing_notice_no"),
        "listing_published": get("listing_published"),
        "acceptance_due_at": iso("acceptance_due_at"),
        "funds_spent": get("funds_spent"),
        "closed_at": iso("closed_at"),
    }
    # Added with the authority table (#11); absent from older rows' snapshots.
    extra = {
        "listing_published_at": iso("listing_published_at"),
        "extension_requested_at": iso("extension_requested_at"),
        "proposed_grade": get("proposed_grade"),
        "proposed_criterion_id": get("proposed_criterion_id"),
        "void_reason": get("void_reason"),
        "criterion_version": get("criterion_version"),
    }
    return base | {k: v for k, v in extra.items() if v is not None}
