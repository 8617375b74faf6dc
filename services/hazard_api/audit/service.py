"""Append to the audit hash chains: the canonical row, its hash and the next row's values.

Verification lives in `verify.py`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.keys import LEGACY, Keyring, current_keyring
from services.hazard_api.audit.models import AuditRow


def genesis(chain_key: str) -> str:
    return hashlib.sha256(f"duban-audit:{chain_key}".encode()).hexdigest()


def row_message(
    *,
    chain_key: str,
    seq: int,
    at: datetime,
    actor_user_id: str | None,
    actor_person_id: str | None,
    actor_role: str | None,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    prev_hash: str,
) -> str:
    body = {
        "chain": chain_key,
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "user": actor_user_id,
        "person": actor_person_id,
        "role": actor_role,
        "action": action,
        "entity": [entity_type, entity_id],
        "before": before,
        "after": after,
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(message: str, *, key_id: str, keyring: Keyring) -> str | None:
    """The row's hash: HMAC-SHA256 with its key (None: key unknown); legacy rows, SHA-256."""
    if key_id == LEGACY:
        return hashlib.sha256(message.encode()).hexdigest()
    return keyring.mac(key_id, f"{key_id}\n{message}")


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    person_id: str | None
    role: str | None


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


def new_row_values(
    *,
    chain_key: str,
    head: ChainHead | None,
    at: datetime,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    """The column values (all but the id and the global chain's, which the sealer sets) of the
    next row of a chain whose current head the caller holds (under its row lock, or because it
    is creating the entity). Hashed with this process's current audit key."""
    keyring = current_keyring()
    seq = (head.seq if head else 0) + 1
    prev = head.hash if head else genesis(chain_key)
    fields: dict[str, Any] = {
        "chain_key": chain_key,
        "seq": seq,
        "at": at,
        "actor_user_id": actor.user_id,
        "actor_person_id": actor.person_id,
        "actor_role": actor.role,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }
    message = row_message(**fields, prev_hash=prev)
    digest = keyring.sign(f"{keyring.current_id}\n{message}")
    return fields | {"prev_hash": prev, "hash": digest, "key_id": keyring.current_id}


async def chain(*, session: AsyncSession, chain_key: str) -> list[AuditRow]:
    rows = await session.scalars(
        select(AuditRow).where(AuditRow.chain_key == chain_key).order_by(AuditRow.seq)
    )
    return list(rows)
