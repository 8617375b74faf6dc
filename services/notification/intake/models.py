"""Notification requests (from escalation steps) and the notices they become per person."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base
from shared.db import UTCDateTime


class RequestStatus(StrEnum):
    OPEN = "open"  # some target roles not yet resolved to anybody
    RESOLVED = "resolved"
    UNRESOLVABLE = "unresolvable"  # reported by an alert, nobody to tell
    WITHDRAWN = "withdrawn"  # the case moved on before anybody was found (withdrawal.py)


class RequestKind(StrEnum):
    HAZARD = "hazard"  # an escalation step about one hazard (StepFired)
    REPORT = "report"  # an enterprise's statistics report falls due (ReportDue), no hazard


class NoticeStatus(StrEnum):
    WAITING = "waiting"  # until release_at (quiet hours, digest window)
    BUNDLED = "bundled"  # part of a dispatch
    SUPERSEDED = "superseded"  # the person no longer holds the role at send time
    WITHDRAWN = "withdrawn"  # the case moved on while it waited: never sent (withdrawal.py)


class NotificationRequest(Base):
    """One escalation step that asked for people to be told (StepFired), or one enterprise
    to remind of its statistics report (ReportDue: one request per enterprise)."""

    __tablename__ = "requests"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(20), default=RequestKind.HAZARD, server_default=RequestKind.HAZARD.value
    )
    hazard_id: Mapped[str | None] = mapped_column(String(100), index=True, nullable=True)
    unit_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    urgency: Mapped[str] = mapped_column(String(20))
    # The StepFired payload; for a report: {"report_due": ReportDue payload, "unit_name": …}.
    step: Mapped[dict[str, Any]] = mapped_column(JSON)
    pending_roles: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.OPEN)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_resolve_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index(
            "ix_requests_open",
            "next_resolve_at",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )


class Notice(Base):
    """One request for one person: held until `release_at`, then bundled into a dispatch."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.event_id"))
    person_id: Mapped[str] = mapped_column(String(100))
    # The role the escalation step asked for, re-resolved at send time.
    target_role: Mapped[str] = mapped_column(String(40))
    # The role that answered (differs when a vacant post fell through upward).
    chain_role: Mapped[str] = mapped_column(String(40))
    covering_for: Mapped[str | None] = mapped_column(String(40), nullable=True)
    hazard_id: Mapped[str | None] = mapped_column(String(100), nullable=True)  # None: a report
    unit_id: Mapped[str] = mapped_column(String(100))
    urgency: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.WAITING)
    dispatch_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)

    __table_args__ = (
        UniqueConstraint("request_id", "person_id"),
        Index(
            "ix_notices_waiting",
            "release_at",
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
        Index("ix_notices_person_status", "person_id", "status"),
    )
