"""What other services did about a hazard (escalation steps, notices, deliveries, acks)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime


class EntryKind(StrEnum):
    STATE_CHANGE = "state_change"  # 状态变更（本服务审计记录）
    ESCALATION_STEP = "escalation_step"  # 升级步骤
    ESCALATION_CASE = "escalation_case"  # 督办案件变化
    ANOMALY = "anomaly"  # 督办异常
    NOTICE = "notice"  # 通知已发出
    DELIVERY = "delivery"  # 送达/失败
    ACKNOWLEDGEMENT = "acknowledgement"  # 已确认


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"
    # One notification event may concern several hazards (a digest): one row per hazard.
    __table_args__ = (UniqueConstraint("event_id", "hazard_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    hazard_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class TimelineItem(BaseModel):
    at: datetime
    kind: EntryKind
    source: str
    summary: str
    actor_role: str | None = None
    detail: dict[str, Any]
