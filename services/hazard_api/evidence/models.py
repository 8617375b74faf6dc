"""Evidence files (照片、文件) attached to a hazard, its plan or an acceptance round."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime


class Purpose(StrEnum):
    HAZARD = "hazard"  # 隐患现场
    PLAN = "plan"  # 治理方案
    ACCEPTANCE = "acceptance"  # 整改/验收佐证


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hazard_id: Mapped[str] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    acceptance_id: Mapped[str | None] = mapped_column(ForeignKey("acceptances.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_user_id: Mapped[str] = mapped_column(String(36))


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    hazard_id: str
    purpose: Purpose
    acceptance_id: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by_user_id: str
