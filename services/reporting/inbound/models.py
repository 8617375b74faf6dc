"""What the city and the province sent down: every verified message once (by its
`webhook-id`), and every request refused for its signature (proof of who tried what)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.db import Base
from services.reporting.ledger.models import SeqType
from shared.db import UTCDateTime


class InboundMessage(Base):
    """A verified message and the answer given to it; a redelivery gets the same answer."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("webhook_id"),)

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    webhook_timestamp: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(Text)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the exact bytes received
    kind: Mapped[str | None] = mapped_column(String(30))  # listing-decision, information-request
    sender: Mapped[str | None] = mapped_column(String(10))  # city, province
    hazard_id: Mapped[str | None] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(12))  # applied, recorded, refused
    status_code: Mapped[int] = mapped_column(Integer)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)


class InboundRejection(Base):
    """A request whose signature did not verify (answered 401): kept, never acted on."""

    __tablename__ = "inbound_rejections"

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    claimed_webhook_id: Mapped[str | None] = mapped_column(String(200))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)  # the webhook-* headers as received
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_length: Mapped[int] = mapped_column(Integer)
