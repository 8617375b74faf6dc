"""Acknowledgements (签收) of dispatches by the person they were sent to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base
from shared.db import UTCDateTime


class Acknowledgement(Base):
    __tablename__ = "acknowledgements"

    dispatch_id: Mapped[str] = mapped_column(ForeignKey("dispatches.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime())
