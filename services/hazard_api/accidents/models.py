"""Accidents (生产安全事故) and their reports (快报, 续报, 补报): tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime

ID = String(36)


class Accident(Base):
    __tablename__ = "accidents"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 事故编号
    status: Mapped[str] = mapped_column(String(30))
    # The unit, as the directory had it at the first report (events carry it).
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    township_id: Mapped[str | None] = mapped_column(ID, index=True)
    department_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    area_code: Mapped[str] = mapped_column(String(12))
    place: Mapped[str] = mapped_column(String(200))
    accident_type: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # 接报: when and how the county first learned of it; the enterprise's own first report.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(30))
    enterprise_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The latest casualties and loss (NULL: never reported, which is 漏报).
    deaths: Mapped[int | None] = mapped_column(Integer)
    missing: Mapped[int | None] = mapped_column(Integer)
    serious_injuries: Mapped[int | None] = mapped_column(Integer)
    minor_injuries: Mapped[int | None] = mapped_column(Integer)
    trapped: Mapped[int | None] = mapped_column(Integer)
    poisoned: Mapped[int | None] = mapped_column(Integer)
    direct_loss_yuan: Mapped[int | None] = mapped_column(BigInteger)
    # The statutory class (moved only by reports within the window) and who investigates.
    accident_class: Mapped[str] = mapped_column(String(20))
    investigation_level: Mapped[str] = mapped_column(String(20))
    # Flags (each also an event): 迟报 delay, 漏报 items, 瞒报 review and findings.
    late_minutes: Mapped[int | None] = mapped_column(Integer)
    missing_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    concealment_review: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Clocks: the upward report (a signed-off report), the investigation and its decision.
    upward_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    investigation_extension_days: Mapped[int] = mapped_column(Integer, default=0)
    investigation_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_extension_days: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 四不放过: cause (the investigation report), persons dealt with, education, measures.
    cause: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    accountability: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    education: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    measures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_user_id: Mapped[str] = mapped_column(ID)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccidentReport(Base):
    """One report: the first (快报), a follow-up (续报) or a supplementary one (补报), with its
    sign-off (拟稿 → 核稿 → 签发) and whether it moved the statutory class."""

    __tablename__ = "accident_reports"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    accident_id: Mapped[str] = mapped_column(
        ForeignKey("accidents.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # first, follow_up, supplementary
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(30))
    account: Mapped[str] = mapped_column(Text)
    measures_taken: Mapped[str | None] = mapped_column(Text)
    deaths: Mapped[int | None] = mapped_column(Integer)
    missing: Mapped[int | None] = mapped_column(Integer)
    serious_injuries: Mapped[int | None] = mapped_column(Integer)
    minor_injuries: Mapped[int | None] = mapped_column(Integer)
    trapped: Mapped[int | None] = mapped_column(Integer)
    poisoned: Mapped[int | None] = mapped_column(Integer)
    direct_loss_yuan: Mapped[int | None] = mapped_column(BigInteger)
    reporter_name: Mapped[str] = mapped_column(String(50))
    reporter_phone: Mapped[str] = mapped_column(String(20))
    within_window: Mapped[bool] = mapped_column(Boolean, default=True)
    class_after: Mapped[str] = mapped_column(String(20))  # the class its figures give
    moved_class: Mapped[bool] = mapped_column(Boolean, default=False)  # it moved the class
    signoff: Mapped[str] = mapped_column(String(20), default="drafted")  # 拟稿 / 核稿 / 签发
    reviewed_by_user_id: Mapped[str | None] = mapped_column(ID)
    issued_by_user_id: Mapped[str | None] = mapped_column(ID)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_user_id: Mapped[str] = mapped_column(ID)
