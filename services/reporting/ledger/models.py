"""The submissions ledger: what went upward, byte for byte, and every attempt to send it.

A submission is one document for one endpoint. `webhook_id` is the Standard Webhooks message
id: it never changes, across retries and replays, so the receiver can deduplicate. `seq` is
the ledger's global order (the pull feed's cursor); `item_key` + `item_seq` order the
submissions of one supervised item (a hazard, an accident): the one with `item_seq` n is sent
only once n-1 was delivered (`SubmissionItem.delivered_seq`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.db import Base
from shared.db import UTCDateTime

# SQLite makes only an INTEGER PRIMARY KEY an auto-incrementing rowid.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class SubmissionState(StrEnum):
    PENDING = "pending"  # 待发送 / 重试中
    DELIVERED = "delivered"  # 已送达（省级系统已回执）
    DEAD = "dead"  # 重试期满未送达（死信）：待人工重放


class EndpointState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # the receiver answered 410 Gone: nothing is sent until re-enabled


class Endpoint(Base):
    __tablename__ = "endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "province"
    url: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10), default=EndpointState.ACTIVE)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))


class SubmissionItem(Base):
    """Per endpoint and item: the last position handed out and the last one delivered."""

    __tablename__ = "submission_items"

    endpoint_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    delivered_seq: Mapped[int] = mapped_column(Integer, default=0)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("webhook_id"),
        UniqueConstraint("endpoint_id", "item_key", "item_seq"),
        # One submission per source event and document: a redelivered event adds nothing.
        UniqueConstraint("endpoint_id", "source_key", "document"),
        Index("ix_submissions_due", "state", "next_attempt_at"),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(40))
    endpoint_id: Mapped[str] = mapped_column(String(40))
    item_key: Mapped[str] = mapped_column(String(120))
    item_seq: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(String(60))  # the exchange document's name
    version: Mapped[int] = mapped_column(Integer)
    source_key: Mapped[str] = mapped_column(String(120))  # event id (or schedule key)
    # What the body was built from (event payload, unit snapshot): regeneration input.
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the exact bytes sent
    body_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default=SubmissionState.PENDING)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    # The retry horizon counts from here (the first attempt, or the last replay).
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The province's answer to the delivery that succeeded (回执): its JSON body.
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    receipt_no: Mapped[str | None] = mapped_column(String(100))
    replays: Mapped[int] = mapped_column(Integer, default=0)


class Attempt(Base):
    """One HTTP request of a submission, as sent (headers) and as answered."""

    __tablename__ = "submission_attempts"
    __table_args__ = (UniqueConstraint("submission_seq", "attempt_no"),)

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    submission_seq: Mapped[int] = mapped_column(ForeignKey("submissions.seq", ondelete="CASCADE"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    url: Mapped[str] = mapped_column(String(500))
    webhook_timestamp: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(Text)  # the webhook-signature header as sent
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)  # first 4,000 characters
    retry_after_s: Mapped[float | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)  # timeout, connection refused …
    outcome: Mapped[str] = mapped_column(String(12))  # delivered, retry, gone, dead


class SubmissionFile(Base):
    """A copy kept with a submission (the quarterly table's CSV and XLSX)."""

    __tablename__ = "submission_files"
    __table_args__ = (UniqueConstraint("submission_seq", "name"),)

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    submission_seq: Mapped[int] = mapped_column(ForeignKey("submissions.seq", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
