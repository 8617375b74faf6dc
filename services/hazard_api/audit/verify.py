"""Verify the audit hash chains (database and anchor file): item chains, the sealed global
chain, the anchors and the items' current rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.keys import LEGACY, Keyring, current_keyring
from services.hazard_api.audit.models import AuditRow, AuditSeal, Problem, VerifyOut
from services.hazard_api.audit.sealer import (
    GLOBAL_GENESIS,
    SEAL_ID,
    Anchor,
    global_message,
    head_message,
)
from services.hazard_api.audit.service import ChainHead, genesis, row_hash, row_message


def _recompute(row: AuditRow, keyring: Keyring) -> str | None:
    message = row_message(
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
    return row_hash(message, key_id=row.key_id, keyring=keyring)


# Returns {chain_key: head} as the audited entities record it (to catch removed tail rows).
HeadsLoader = Callable[[AsyncSession], Awaitable[dict[str, ChainHead]]]


@dataclass(frozen=True)
class StateDiff:
    """An item whose current row differs from the `after` of its last audit row."""

    chain_key: str
    seq: int
    row_id: int
    fields: list[str]


# Yields the items whose current state differs from their last audited state.
StatesChecker = Callable[[AsyncSession], AsyncIterator[StateDiff]]


class _Found(Exception):
    def __init__(self, out: VerifyOut) -> None:
        self.out = out


@dataclass
class _Tally:
    rows: int = 0
    chains: int = 0
    sealed: int = 0
    anchors: int = 0

    def bad(self, problem: Problem, reason: str, **where: Any) -> _Found:
        return _Found(
            VerifyOut(
                ok=False,
                rows_checked=self.rows,
                chains_checked=self.chains,
                sealed_rows=self.sealed,
                anchors_checked=self.anchors,
                problem=problem,
                reason=reason,
                **where,
            )
        )


async def verify(
    *,
    session: AsyncSession,
    heads: HeadsLoader | None = None,
    states: StatesChecker | None = None,
    anchors: list[Anchor | int] | None = None,
    keyring: Keyring | None = None,
    batch: int = 1000,
) -> VerifyOut:
    """Check every item chain, the global chain, its sealed head, the anchors and the items'
    current rows; name the first thing that does not hold."""
    keyring = keyring or current_keyring()
    tally = _Tally()
    try:
        await _item_chains(session, heads, keyring, tally, batch)
        anchors = anchors or []
        wanted = {a.gseq for a in anchors if isinstance(a, Anchor)}
        sealed = await _global_chain(session, keyring, tally, batch, wanted)
        _anchors(anchors, sealed, keyring, tally)
        if states is not None:
            async for diff in states(session):
                raise tally.bad(
                    Problem.STATE_DIFFERS,
                    "业务记录与其最后一条审计记录不符（未经审计被修改）：" + "、".join(diff.fields),
                    chain_key=diff.chain_key,
                    seq=diff.seq,
                    bad_row_id=diff.row_id,
                    fields=diff.fields,
                )
    except _Found as found:
        return found.out
    return VerifyOut(
        ok=True,
        rows_checked=tally.rows,
        chains_checked=tally.chains,
        sealed_rows=tally.sealed,
        anchors_checked=tally.anchors,
    )


async def _item_chains(
    session: AsyncSession,
    heads: HeadsLoader | None,
    keyring: Keyring,
    tally: _Tally,
    batch: int,
) -> None:
    """Walk every item's chain in row order."""
    last: dict[str, ChainHead] = {}
    stream = await session.stream_scalars(
        select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=batch)
    )
    async for row in stream:
        tally.rows += 1
        prev = last.get(row.chain_key)
        expected_seq = (prev.seq if prev else 0) + 1
        expected_prev = prev.hash if prev else genesis(row.chain_key)
        problem, reason = None, ""
        if row.seq != expected_seq:
            problem = Problem.SEQUENCE_GAP
            reason = f"序号不连续：应为 {expected_seq}，实为 {row.seq}（前序记录缺失或被插入）"
        elif row.prev_hash != expected_prev:
            problem, reason = Problem.BROKEN_LINK, "前序哈希不符：前一条记录被篡改或删除"
        elif row.key_id == LEGACY and row.gseq is None:
            problem = Problem.LEGACY_FORGED
            reason = "旧格式（无密钥）记录出现在启用密钥之后：该记录系伪造"
        else:
            recomputed = _recompute(row, keyring)
            if recomputed is None:
                problem = Problem.UNKNOWN_KEY
                reason = f"未配置审计密钥 {row.key_id}：无法校验该记录（请在审计密钥中补充旧密钥）"
            elif recomputed != row.hash:
                problem = Problem.HMAC_MISMATCH
                reason = "记录内容与其哈希（HMAC）不符：该记录被篡改"
        if problem is not None:
            await stream.close()
            tally.chains = len(last)
            raise tally.bad(
                problem,
                reason,
                bad_row_id=row.id,
                chain_key=row.chain_key,
                seq=row.seq,
                gseq=row.gseq,
            )
        last[row.chain_key] = ChainHead(row.seq, row.hash)
    tally.chains = len(last)
    if heads is not None:
        for key, head in (await heads(session)).items():
            if last.get(key) != head:
                raise tally.bad(
                    Problem.HEAD_MISMATCH,
                    "链尾记录缺失或被改动：与业务记录保存的链头不符",
                    chain_key=key,
                    seq=head.seq,
                )


async def _global_chain(
    session: AsyncSession, keyring: Keyring, tally: _Tally, batch: int, wanted: set[int]
) -> dict[int, str]:
    """Walk the sealed rows in global order; returns {gseq: ghash} of the rows anchors name."""
    expected, prev, keyed_seen = 1, GLOBAL_GENESIS, False
    ghashes: dict[int, str] = {}
    stream = await session.stream_scalars(
        select(AuditRow)
        .where(AuditRow.gseq.is_not(None))
        .order_by(AuditRow.gseq)
        .execution_options(yield_per=batch)
    )
    async for row in stream:
        gseq = row.gseq or 0
        where = {"bad_row_id": row.id, "chain_key": row.chain_key, "seq": row.seq, "gseq": gseq}
        if gseq != expected:
            await stream.close()
            raise tally.bad(
                Problem.GLOBAL_GAP,
                f"全局序号 {expected}–{gseq - 1} 缺失：审计记录被删除"
                "（如一条隐患连同其整条审计链被删除）",
                missing_gseq=(expected, gseq - 1),
                **where,
            )
        if row.key_id == LEGACY and keyed_seen:
            await stream.close()
            raise tally.bad(
                Problem.LEGACY_FORGED,
                "旧格式（无密钥）记录出现在启用密钥之后：该记录系伪造",
                **where,
            )
        keyed_seen = keyed_seen or row.key_id != LEGACY
        mac = keyring.mac(row.gkey_id or "", global_message(gseq=gseq, prev=prev, row=row))
        if mac is None:
            await stream.close()
            raise tally.bad(
                Problem.UNKNOWN_KEY,
                f"未配置审计密钥 {row.gkey_id}：无法校验全局链（请在审计密钥中补充旧密钥）",
                **where,
            )
        if mac != row.ghash:
            await stream.close()
            raise tally.bad(
                Problem.GLOBAL_MISMATCH,
                "全局链校验不符：该记录在封存后被改动，或全局链被重写",
                **where,
            )
        tally.sealed += 1
        prev = row.ghash
        if gseq in wanted:
            ghashes[gseq] = prev
        expected += 1
    head = await session.get(AuditSeal, SEAL_ID)
    sealed_to = expected - 1
    if head is None:
        if sealed_to:
            raise tally.bad(Problem.SEAL_MISMATCH, "全局链封存链头缺失", gseq=sealed_to)
        return ghashes
    head_mac = keyring.mac(head.key_id, head_message(head.gseq, head.ghash))
    if (head.gseq, head.ghash) != (sealed_to, prev) or (head.gseq and head_mac != head.mac):
        missing = (sealed_to + 1, head.gseq) if head.gseq > sealed_to else None
        raise tally.bad(
            Problem.SEAL_MISMATCH if missing is None else Problem.GLOBAL_GAP,
            f"全局链末尾与封存链头（序号 {head.gseq}）不符：末尾记录被删除或链头被改动",
            gseq=head.gseq,
            missing_gseq=missing,
        )
    return ghashes


def _anchors(
    anchors: list[Anchor | int], ghashes: dict[int, str], keyring: Keyring, tally: _Tally
) -> None:
    for anchor in anchors:
        if isinstance(anchor, int):
            raise tally.bad(Problem.ANCHOR_INVALID, f"锚定文件第 {anchor} 行无法解析")
        if keyring.mac(anchor.key_id, anchor.message()) != anchor.mac:
            raise tally.bad(
                Problem.ANCHOR_INVALID,
                f"锚点 {anchor.n} 的校验码不符：锚定文件被改动（或缺少其密钥）",
                anchor=anchor.n,
            )
        tally.anchors += 1
        found = ghashes.get(anchor.gseq)
        if found != anchor.ghash:
            what = "已不存在（末尾记录被删除）" if found is None else "的哈希与锚点不符（链被重写）"
            raise tally.bad(
                Problem.ANCHOR_MISMATCH,
                f"与锚点 {anchor.n}（{anchor.at}）不符：全局序号 {anchor.gseq} 的记录{what}",
                anchor=anchor.n,
                gseq=anchor.gseq,
            )
