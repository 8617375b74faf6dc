"""County 复工复产 campaigns after a holiday, and one row per enterprise in their scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime

ID = String(36)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    notice_no: Mapped[str] = mapped_column(String(60))  # 通知文号
    status: Mapped[str] = mapped_column(String(20), index=True)
    industry_prefixes: Mapped[list[str]] = mapped_column(JSON, default=list)
    township_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    resume_by: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 验收完成时限
    reminders: Mapped[list[str]] = mapped_column(JSON, default=list)  # 催办 points (ISO, UTC)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by_user_id: Mapped[str] = mapped_column(ID)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignEnterprise(Base):
    """An enterprise in a campaign's scope: it resumes only once its acceptance passed."""

    __tablename__ = "campaign_enterprises"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    township_id: Mapped[str | None] = mapped_column(ID, index=True)
    department_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending, failed, accepted
    # The acceptance team's rounds, as for a 停产整顿 order (suspensions/acceptance.py).
    acceptances: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
