"""The append-only audit log: one hash chain per audited entity (e.g. `hazard:<id>`).

Why per entity and not one global chain: a global chain needs the previous row's hash, so
every writer in the county would queue on one lock; intake would serialise. A chain per
entity is extended only by the transaction that already holds that entity's row lock (a
hazard's transitions lock the hazard row), so chains never contend with each other, and a
unique (chain_key, seq) makes a fork impossible. The entity row carries its chain head
(`audit_seq`, `audit_head`), so removing the last rows of a chain is detected as well.

Each row's hash is an HMAC with a key outside the database (`key_id`, see keys.py). Rows are
also sealed after commit into one gapless global chain (`gseq`, `ghash`, see sealer.py), whose
head is anchored outside the database; README.md in this folder explains the design.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
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
    key_id: Mapped[str] = mapped_column(String(20))  # "legacy": plain SHA-256 (before keys)
    # The global chain, set by the sealer after commit (NULL: not sealed yet).
    gseq: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), unique=True
    )
    gkey_id: Mapped[str | None] = mapped_column(String(20))
    ghash: Mapped[str | None] = mapped_column(String(64))


# Set by the sealer after commit, never by a writer.
SEALER_COLUMNS = ("gseq", "gkey_id", "ghash")


class AuditSeal(Base):
    """The global chain's head (one row, id 1), MAC'd; the sealer locks it while sealing."""

    __tablename__ = "audit_seal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gseq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    ghash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(20))
    mac: Mapped[str] = mapped_column(String(64))


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read off an AuditRow

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


class Problem(StrEnum):
    """What verification found (the first finding is reported)."""

    UNKNOWN_KEY = "unknown_key"  # a row names a key this process does not have
    HMAC_MISMATCH = "hmac_mismatch"  # a row's content does not match its (keyed) hash
    LEGACY_FORGED = "legacy_forged"  # an unkeyed (pre-key) row added after keys came in
    BROKEN_LINK = "broken_link"  # a row's prev_hash is not its predecessor's hash
    SEQUENCE_GAP = "sequence_gap"  # an item's chain skips a number
    HEAD_MISMATCH = "head_mismatch"  # the item's row holds another chain head
    GLOBAL_GAP = "global_gap"  # global sequence numbers missing: rows (an item) deleted
    GLOBAL_MISMATCH = "global_mismatch"  # the global chain's link or HMAC does not hold
    SEAL_MISMATCH = "seal_mismatch"  # the global chain's end is not the sealed head
    ANCHOR_INVALID = "anchor_invalid"  # an anchor's own MAC does not hold
    ANCHOR_MISMATCH = "anchor_mismatch"  # the chain disagrees with an anchor made earlier
    STATE_DIFFERS = "state_differs"  # an item's row differs from its last audited state


class VerifyOut(BaseModel):
    ok: bool
    rows_checked: int
    chains_checked: int
    sealed_rows: int = 0
    anchors_checked: int = 0
    problem: Problem | None = None
    bad_row_id: int | None = None
    chain_key: str | None = None
    seq: int | None = None
    gseq: int | None = None
    missing_gseq: tuple[int, int] | None = None  # first and last missing global numbers
    anchor: int | None = None  # the anchor's number (`n`) in the anchor file
    fields: list[str] | None = None  # the fields that differ from the last audited state
    reason: str | None = None
