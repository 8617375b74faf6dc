"""Verify the record of service: the chain itself, its head, and the tables against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.records.chain import (
    GENESIS,
    Keyring,
    entry_message,
    head_message,
    installed,
)
from services.notification.records.kinds import BY_NAME, KINDS, state_of
from services.notification.records.models import HEAD_ID, RecordEntry, RecordHead
from shared.hashchain import canonical, sha256_hex


class Problem(StrEnum):
    ENTRY_MISSING = "entry_missing"  # a sequence number skipped: chain entries deleted
    BROKEN_LINK = "broken_link"
    ENTRY_TAMPERED = "entry_tampered"  # an entry's content does not match its HMAC
    UNKNOWN_KEY = "unknown_key"
    HEAD_MISMATCH = "head_mismatch"  # the last entries removed, or the head rewritten
    ROW_TAMPERED = "row_tampered"  # a row differs from its last recorded state
    ROW_DELETED = "row_deleted"  # a recorded row is gone
    ROW_UNRECORDED = "row_unrecorded"  # a row nobody recorded (written around the service)


class RecordVerifyOut(BaseModel):
    ok: bool
    entries_checked: int
    rows_checked: int
    problem: Problem | None = None
    kind: str | None = None  # the table of the first bad row: delivery, attempt, ack …
    entity_id: str | None = None
    seq: int | None = None  # the chain entry concerned
    fields: list[str] | None = None
    reason: str | None = None


@dataclass
class _Walk:
    entries: int = 0
    rows: int = 0
    # (kind, entity id) → (seq of its last entry, sha256 of its last state)
    last: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def bad(self, problem: Problem, reason: str, **where: Any) -> RecordVerifyOut:
        return RecordVerifyOut(
            ok=False,
            entries_checked=self.entries,
            rows_checked=self.rows,
            problem=problem,
            reason=reason,
            **where,
        )


async def verify(session: AsyncSession, keyring: Keyring | None = None) -> RecordVerifyOut:
    keyring = keyring or installed().keyring
    walk = _Walk()
    found = await _chain(session, keyring, walk) or await _tables(session, walk)
    return found or RecordVerifyOut(ok=True, entries_checked=walk.entries, rows_checked=walk.rows)


async def _chain(session: AsyncSession, keyring: Keyring, walk: _Walk) -> RecordVerifyOut | None:
    expected, prev = 1, GENESIS
    stream = await session.stream_scalars(
        select(RecordEntry).order_by(RecordEntry.seq).execution_options(yield_per=1000)
    )
    async for e in stream:
        where: dict[str, Any] = {"kind": e.kind, "entity_id": e.entity_id, "seq": e.seq}
        problem: tuple[Problem, str] | None = None
        state_json = canonical(e.state)
        if e.seq != expected:
            problem = (
                Problem.ENTRY_MISSING,
                f"记录链第 {expected}–{e.seq - 1} 条缺失：送达记录被删除",
            )
        elif e.prev_hash != prev:
            problem = (Problem.BROKEN_LINK, "前序哈希不符：前一条记录被篡改或替换")
        else:
            message = entry_message(
                seq=e.seq,
                at=e.at,
                kind=e.kind,
                entity_id=e.entity_id,
                state_json=state_json,
                prev=prev,
            )
            mac = keyring.sign(message, e.key_id)
            if mac is None:
                problem = (Problem.UNKNOWN_KEY, f"未配置密钥 {e.key_id}，无法校验该记录")
            elif mac != e.hash:
                problem = (Problem.ENTRY_TAMPERED, "记录内容与其哈希（HMAC）不符：该记录被篡改")
        if problem is not None:
            await stream.close()
            return walk.bad(problem[0], problem[1], **where)
        walk.entries += 1
        walk.last[(e.kind, e.entity_id)] = (e.seq, sha256_hex(state_json))
        prev, expected = e.hash, expected + 1
    head = await session.get(RecordHead, HEAD_ID)
    head_ok = head is not None and (head.seq, head.hash) == (expected - 1, prev)
    if head_ok and head is not None and head.seq:
        head_ok = keyring.sign(head_message(head.seq, head.hash), head.key_id) == head.mac
    if not head_ok:
        return walk.bad(
            Problem.HEAD_MISMATCH,
            f"记录链末尾与链头（第 {head.seq if head else '?'} 条）不符："
            "末尾记录被删除或链头被改动",
            seq=head.seq if head else None,
        )
    return None


async def _tables(session: AsyncSession, walk: _Walk) -> RecordVerifyOut | None:
    seen: set[tuple[str, str]] = set()
    for kind in KINDS:
        rows = await session.stream(select(kind.table).execution_options(yield_per=1000))
        async for row in rows.mappings():
            walk.rows += 1
            key = (kind.name, kind.entity_id(row))
            seen.add(key)
            state = state_of(kind, row)
            recorded = walk.last.get(key)
            if recorded is None:
                await rows.close()
                return walk.bad(
                    Problem.ROW_UNRECORDED,
                    f"{kind.label}（{key[1]}）不在记录链中：系绕过系统写入",
                    kind=kind.name,
                    entity_id=key[1],
                )
            if sha256_hex(canonical(state)) != recorded[1]:
                await rows.close()
                fields = await _changed_fields(session, recorded[0], state)
                return walk.bad(
                    Problem.ROW_TAMPERED,
                    f"{kind.label}（{key[1]}）与记录链中的最后状态不符（被改动）："
                    + "、".join(fields),
                    kind=kind.name,
                    entity_id=key[1],
                    seq=recorded[0],
                    fields=fields,
                )
    for key, (seq, _) in sorted(walk.last.items(), key=lambda item: item[1][0]):
        if key not in seen:
            label = BY_NAME[key[0]].label if key[0] in BY_NAME else key[0]
            return walk.bad(
                Problem.ROW_DELETED,
                f"{label}（{key[1]}）已记入记录链，但已被删除",
                kind=key[0],
                entity_id=key[1],
                seq=seq,
            )
    return None


async def _changed_fields(session: AsyncSession, seq: int, state: dict[str, object]) -> list[str]:
    entry = await session.get(RecordEntry, seq)
    recorded = entry.state if entry else {}
    return sorted(k for k in state.keys() | recorded.keys() if state.get(k) != recorded.get(k))
