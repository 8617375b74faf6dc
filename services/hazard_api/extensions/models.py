"""Extension requests (延期申请) and their decisions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, computed_field
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from services.hazard_api.fields import Filled, Printable, text
from services.hazard_api.hazards.schemas import Days
from services.hazard_api.hazards.schemas import Text as BodyText
from shared.contract import DeadlineKind
from shared.db import UTCDateTime
from shared.labels import beijing_time, label


class ExtensionStatus(StrEnum):
    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已驳回
    # Settled undecided: the hazard left 整改中 (voided, reported rectified, reclassified)
    # while the request waited, and only a rectifying hazard's request can be decided.
    WITHDRAWN = "withdrawn"  # 已撤回


EXTENSION_STATUS_LABELS: dict[str, str] = {
    ExtensionStatus.PENDING: "待审批",
    ExtensionStatus.APPROVED: "已批准",
    ExtensionStatus.REJECTED: "已驳回",
    ExtensionStatus.WITHDRAWN: "已自动撤回",
}


class Extension(Base):
    __tablename__ = "extensions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hazard_id: Mapped[str] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    days: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    previous_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    proposed_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by_user_id: Mapped[str] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[str | None] = mapped_column(String(36))
    opinion: Mapped[str | None] = mapped_column(Text)


class ExtensionIn(BaseModel):
    """Extend the deadline by `days` counted from the current deadline (default: its kind)."""

    model_config = ConfigDict(extra="forbid")

    reason: BodyText
    days: Days
    kind: DeadlineKind | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    opinion: Annotated[str, text(2000), Printable, Filled]


class ExtensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    hazard_id: str
    reason: str
    days: int
    kind: DeadlineKind
    previous_deadline_at: datetime
    proposed_deadline_at: datetime
    provisional: bool
    status: ExtensionStatus
    requested_at: datetime
    requested_by_user_id: str
    decided_at: datetime | None
    decided_by_user_id: str | None
    opinion: str | None

    @computed_field(description="审批状态（中文）")  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return label(EXTENSION_STATUS_LABELS, self.status)

    @computed_field(description="申请延期至（北京时间）")  # type: ignore[prop-decorator]
    @property
    def proposed_deadline_label(self) -> str:
        return beijing_time(self.proposed_deadline_at)
