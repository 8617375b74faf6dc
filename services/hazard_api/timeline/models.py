"""What other services did about a hazard (escalation steps, notices, deliveries, acks)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.auth.models import USER_ROLE_LABELS
from services.hazard_api.db import Base
from shared.db import UTCDateTime
from shared.labels import PRODUCER_LABELS, beijing_time, label


class EntryKind(StrEnum):
    STATE_CHANGE = "state_change"  # 状态变更（本服务审计记录）
    ESCALATION_STEP = "escalation_step"  # 升级步骤
    ESCALATION_CASE = "escalation_case"  # 督办案件变化
    ANOMALY = "anomaly"  # 督办异常
    NOTICE = "notice"  # 通知已发出
    DELIVERY = "delivery"  # 送达/失败
    ACKNOWLEDGEMENT = "acknowledgement"  # 已确认


ENTRY_KIND_LABELS: dict[str, str] = {
    EntryKind.STATE_CHANGE: "状态变更",
    EntryKind.ESCALATION_STEP: "督办升级",
    EntryKind.ESCALATION_CASE: "督办安排",
    EntryKind.ANOMALY: "督办核查",
    EntryKind.NOTICE: "通知发出",
    EntryKind.DELIVERY: "送达情况",
    EntryKind.ACKNOWLEDGEMENT: "签收",
}


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
    """One entry: `summary` and the `*_label` fields are for people, the rest for machines."""

    at: datetime = Field(description="时间（UTC）")
    kind: EntryKind
    source: str
    summary: str = Field(description="事项说明（中文，时间为北京时间）")
    actor_role: str | None = None
    detail: dict[str, Any] = Field(description="原始事件内容（代码和 UTC 时间）")

    @computed_field(description="时间（北京时间），如 2027年1月1日09:00")  # type: ignore[prop-decorator]
    @property
    def at_label(self) -> str:
        return beijing_time(self.at)

    @computed_field(description="类别（中文）")  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return label(ENTRY_KIND_LABELS, self.kind)

    @computed_field(description="来源（中文）")  # type: ignore[prop-decorator]
    @property
    def source_label(self) -> str:
        return label(PRODUCER_LABELS, self.source)

    @computed_field(description="操作人角色（中文），系统事件为空")  # type: ignore[prop-decorator]
    @property
    def actor_role_label(self) -> str:
        return label(USER_ROLE_LABELS, self.actor_role)
