"""Which report reminders went out: one row per reminder (report period and lead time).

The row is inserted in the same transaction as the reminder's outbox event, so the primary
key makes a reminder go out once across ticks, restarts and replicas.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.escalation.db import Base
from shared.db import UTCDateTime


class ReminderState(StrEnum):
    SENT = "sent"
    # Its time had passed when a later reminder of the same report came due too (the service
    # was down): only the later one goes, this one is recorded as never to be sent.
    SUPERSEDED = "superseded"


class ReportReminder(Base):
    __tablename__ = "report_reminders"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)  # e.g. quarterly-2026Q1-7d
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int | None] = mapped_column(Integer, nullable=True)
    due_date: Mapped[date] = mapped_column(Date)
    lead_days: Mapped[int] = mapped_column(Integer)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
