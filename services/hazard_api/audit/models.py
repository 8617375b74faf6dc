"""The append-only audit log: one hash chain per audited entity (e.g. `hazard:<id>`).

Why per entity and not one global chain: a global chain needs the previous row's hash, so
every writer in the county would queue on one lock; intake would serialise. A chain per
entity is extended only by the transaction that already holds that entity's row lock (a
hazard's transitions lock the hazard row), so chains never contend with each other, and a
unique (chain_key, seq) makes a fork impossible. The entity row carries its chain head
(`audit_seq`, `audit_head`), so removing the last rows of a chain is detected as well.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("chain_key", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chain_key: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[str | None] = mapped_column(String(36))
    actor_person_id: Mapped[str | None] = mapped_column(String(36))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(36))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditEntryOut(BaseModel):
    id: int
    seq: int
    at: datetime
    actor_user_id: str | None
    actor_person_id: str | None
    actor_role: str | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    rows_checked: int
    chains_checked: int
    bad_row_id: int | None = None
    chain_key: str | None = None
    seq: int | None = None
    reason: str | None = None
