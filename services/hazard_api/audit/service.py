"""Append to and verify the audit hash chains (database only)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.models import AuditRow, VerifyOut


def genesis(chain_key: str) -> str:
    return hashlib.sha256(f"duban-audit:{chain_key}".encode()).hexdigest()


def row_hash(
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
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    """The column values (all but the id) of the next row of a chain whose current head the
    caller holds (under its row lock, or because it is creating the entity)."""
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
    return fields | {"prev_hash": prev, "hash": row_hash(**fields, prev_hash=prev)}


def _recompute(row: AuditRow) -> str:
    return row_hash(
        chain_key=row.chain_key,
        seq=row.seq,
        at=row.at,
        actor_user_id=row.actor_user_id,
        actor_person_id=row.actor_person_id,
        actor_role=row.actor_role,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        before=row.before,
        after=row.after,
        prev_hash=row.prev_hash,
    )


# Returns {chain_key: head} as the audited entities record it (to catch removed tail rows).
HeadsLoader = Callable[[AsyncSession], Awaitable[dict[str, ChainHead]]]


async def verify(
    *, session: AsyncSession, heads: HeadsLoader | None = None, batch: int = 1000
) -> VerifyOut:
    """Walk every chain in row order; name the first row that breaks one."""
    last: dict[str, ChainHead] = {}
    checked = 0
    stream = await session.stream_scalars(
        select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=batch)
    )
    async for row in stream:
        checked += 1
        prev = last.get(row.chain_key)
        expected_seq = (prev.seq if prev else 0) + 1
        expected_prev = prev.hash if prev else genesis(row.chain_key)
        reason = None
        if row.seq != expected_seq:
            reason = f"序号不连续：应为 {expected_seq}，实为 {row.seq}（前序记录缺失或被插入）"
        elif row.prev_hash != expected_prev:
            reason = "前序哈希不符：前一条记录被篡改或删除"
        elif _recompute(row) != row.hash:
            reason = "记录内容与其哈希不符：该记录被篡改"
        if reason is not None:
            await stream.close()
            return VerifyOut(
                ok=False,
                rows_checked=checked,
                chains_checked=len(last),
                bad_row_id=row.id,
                chain_key=row.chain_key,
                seq=row.seq,
                reason=reason,
            )
        last[row.chain_key] = ChainHead(row.seq, row.hash)
    if heads is not None:
        for key, head in (await heads(session)).items():
            seen = last.get(key)
            if seen != head:
                return VerifyOut(
                    ok=False,
                    rows_checked=checked,
                    chains_checked=len(last),
                    chain_key=key,
                    seq=head.seq,
                    reason="链尾记录缺失或被改动：与业务记录保存的链头不符",
                )
    return VerifyOut(ok=True, rows_checked=checked, chains_checked=len(last))


async def chain(*, session: AsyncSession, chain_key: str) -> list[AuditRow]:
    rows = await session.scalars(
        select(AuditRow).where(AuditRow.chain_key == chain_key).order_by(AuditRow.seq)
    )
    return list(rows)
