"""停产停业整顿 orders and their 复工复产验收: one row per order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime

ID = String(36)


class Suspension(Base):
    __tablename__ = "suspensions"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    township_id: Mapped[str | None] = mapped_column(ID, index=True)
    department_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    order_no: Mapped[str] = mapped_column(String(60))  # 文号
    reason: Mapped[str] = mapped_column(Text)
    accident_id: Mapped[str | None] = mapped_column(ForeignKey("accidents.id"), index=True)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ordered_by_user_id: Mapped[str] = mapped_column(ID)
    # The enterprise's application: self-check, rectification report, training, drill.
    application: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the township's
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The acceptance team's rounds: members, checklist (item, standard, result, evidence), decision.
    acceptances: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
