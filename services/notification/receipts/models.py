"""Delivery receipts (状态报告) as the providers pushed them; duplicates collapse on the key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base
from shared.db import UTCDateTime


class Receipt(Base):
    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_kind: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(100))
    # A batch (Aliyun SendBatchSms) has one BizId for all its numbers: a receipt is one number's.
    phone: Mapped[str] = mapped_column(String(30), server_default="")
    success: Mapped[bool]
    code: Mapped[str] = mapped_column(String(100))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("provider_kind", "provider_message_id", "phone"),)
