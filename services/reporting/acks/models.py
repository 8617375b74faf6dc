"""The 2-hour acknowledgement watch of each accident's upward report (493号令: each level
reports up within 2 hours of receiving it): the report counts as done only when the province
acknowledged it (its receipt); otherwise the county office reports by phone and records it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.db import Base
from shared.db import UTCDateTime


class AccidentAck(Base):
    __tablename__ = "accident_acks"

    accident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    unit_name: Mapped[str] = mapped_column(String(200))
    accident_class: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))  # 接报时间
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    receipt_no: Mapped[str | None] = mapped_column(String(100))
    submission_id: Mapped[str | None] = mapped_column(String(40))  # the acknowledged webhook id
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    phone_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    phone_reported_to: Mapped[str | None] = mapped_column(String(100))
    phone_reported_by: Mapped[str | None] = mapped_column(String(50))
    phone_note: Mapped[str | None] = mapped_column(Text)
    phone_recorded_by: Mapped[str | None] = mapped_column(String(36))  # the account that recorded
