"""Acknowledgements (签收) of dispatches by the person they were sent to, and the uses of a
link by somebody else (a forwarded link: recorded, never counted as the recipient's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base
from shared.db import UTCDateTime


class Acknowledgement(Base):
    __tablename__ = "acknowledgements"

    dispatch_id: Mapped[str] = mapped_column(ForeignKey("dispatches.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How the person showed it was them: "phone_tail" (the last four digits of the mobile the
    # notice went to); NULL: acknowledged before links were bound to the person.
    verified_by: Mapped[str | None] = mapped_column(String(20), nullable=True)


class LinkUse(Base):
    """Somebody other than the recipient used the link: who they said they were, when, and
    whether they tried to sign as the recipient (wrong digits). The notice stays unsigned."""

    __tablename__ = "link_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispatch_id: Mapped[str] = mapped_column(ForeignKey("dispatches.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50))
    unit: Mapped[str] = mapped_column(String(100), server_default="")
    claimed_recipient: Mapped[bool] = mapped_column(default=False)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())
