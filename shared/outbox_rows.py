"""The relay's statements on the outbox table: claim, order per key, mark sent (shared.relay)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Table, any_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection


async def claim(conn: AsyncConnection, o: Table, limit: int, *, lock: bool) -> list[Any]:
    """The oldest unsent rows; `lock` (PostgreSQL): claimed, skipping rows others hold."""
    query = select(o.c.id, o.c.topic, o.c.key, o.c.value).where(o.c.sent_at.is_(None))
    query = query.order_by(o.c.id).limit(limit)
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list((await conn.execute(query)).all())


async def mark_sent(
    conn: AsyncConnection, o: Table, ids: list[int], now: datetime, *, sqlite: bool
) -> None:
    if not ids:
        return
    matches = (
        o.c.id.in_(ids)
        if sqlite
        else o.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger())))
    )
    await conn.execute(update(o).where(matches).values(sent_at=now))


async def mark_unsent_since(conn: AsyncConnection, o: Table, since: datetime) -> int:
    """Rows sent at or after `since` become unsent again (a broker lost them); how many."""
    result = await conn.execute(
        update(o).where(o.c.sent_at.is_not(None), o.c.sent_at >= since).values(sent_at=None)
    )
    return int(result.rowcount or 0)


async def oldest_unsent(conn: AsyncConnection, o: Table) -> datetime | None:
    return await conn.scalar(
        select(o.c.created_at).where(o.c.sent_at.is_(None)).order_by(o.c.id).limit(1)
    )


async def publishable(conn: AsyncConnection, o: Table, rows: list[Any]) -> list[Any]:
    """Keep, per key, only claimed rows older than any unsent row we did not claim.

    Run after the claim, so under READ COMMITTED it sees every row another relay holds
    (still unsent until that relay commits) and every row it already marked sent (acked
    before that commit). Rows of a key behind someone else's row stay for a later round;
    the holder of a key's oldest unsent row always may publish it, so every key advances.
    """
    mine = {row.id for row in rows}
    # Only rows below our newest claim can stand in front of ours; one bind parameter
    # keeps the statement cached (an IN list of the batch's ids costs more than the rows).
    below = await conn.execute(
        select(o.c.id, o.c.key).where(o.c.sent_at.is_(None), o.c.id < max(mine))
    )
    first_foreign: dict[str, int] = {}
    for r in below:
        if r.id not in mine and r.id < first_foreign.get(r.key, r.id + 1):
            first_foreign[r.key] = r.id
    return [row for row in rows if row.id < first_foreign.get(row.key, row.id + 1)]
