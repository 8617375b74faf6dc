"""The record of service: one keyed hash chain over the delivery log and acknowledgements.

Why one chain and not one per delivery: a discipline reviewer's question is "is anything
missing", and only a gapless global sequence answers it (a deleted delivery, with every row
about it, leaves a hole). The chain is extended at the end of each transaction that touched
the delivery log (see tracking.py), holding the head row's lock only for the commit, so writers
queue for milliseconds and never while waiting for something else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base
from shared.db import UTCDateTime

HEAD_ID = 1


class RecordEntry(Base):
    """One recorded state of one row of the delivery log (or an acknowledgement)."""

    __tablename__ = "record_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(20))  # dispatch, delivery, attempt, receipt, ack…
    entity_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(20))

    __table_args__ = (Index("ix_record_log_entity", "kind", "entity_id"),)


class RecordHead(Base):
    """The chain's head (one row, id 1, made by the migration), MAC'd: removing the last
    entries and winding the head back needs the key."""

    __tablename__ = "record_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(20))
    mac: Mapped[str] = mapped_column(String(64))
