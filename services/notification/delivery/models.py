"""Dispatches (one message to one person) and the delivery log with every provider attempt."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base
from shared.db import UTCDateTime


class DispatchKind(StrEnum):
    SINGLE = "single"
    DIGEST = "digest"  # several notices for one person in one message


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # written before the provider is called
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider's receipt says it reached the phone
    FAILED = "failed"  # gave up on this channel (another channel may take over)
    DEAD = "dead"  # no channel left: dead-lettered, alert raised


class AttemptOutcome(StrEnum):
    PENDING = "pending"  # the call is under way (or the process died during it)
    ACCEPTED = "accepted"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"  # timed out after sending: ask the provider before anything else
    NOT_ACCEPTED = "not_accepted"  # reconciliation: the provider never got it


class Dispatch(Base):
    __tablename__ = "dispatches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(100), index=True)
    person_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    request_ids: Mapped[list[str]] = mapped_column(JSON)
    hazard_ids: Mapped[list[str]] = mapped_column(JSON)
    chain_role: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # What the message and the acknowledgement page show (hazard summaries, actions).
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """The delivery log: one row per (request, person, channel), written before sending."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispatch_id: Mapped[str] = mapped_column(ForeignKey("dispatches.id"))
    person_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    template: Mapped[str] = mapped_column(String(40))
    template_version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    provider_index: Mapped[int] = mapped_column(Integer, default=0)
    provider_attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    is_fallback: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("dispatch_id", "person_id", "channel"),
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_deliveries_provider_message", "provider", "provider_message_id"),
    )


class DeliveryAttempt(Base):
    """One call to one provider, written (outcome pending) before the call is made."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    # Sent to the provider (Aliyun OutId / Tencent SessionContext) to find the message again.
    out_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    provider: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20), default=AttemptOutcome.PENDING)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When to ask the provider again about an attempt whose outcome is not known.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index(
            "ix_attempts_open",
            "started_at",
            postgresql_where=text("outcome IN ('pending', 'unknown')"),
            sqlite_where=text("outcome IN ('pending', 'unknown')"),
        ),
        # Per-number caps count accepted sends by provider and number.
        Index("ix_attempts_caps", "provider", "address", "started_at"),
        Index("ix_attempts_provider_message", "provider_message_id"),
    )
