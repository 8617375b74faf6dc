"""The processed-events ledger of a consumer (`processed_events`, defined in shared.outbox).

A row per event id a consumer has applied (`outcome` "applied") or given up on
("dead_lettered"). The consumer runner checks it in the handler's transaction (exactly-once in
effect); the repair (shared.repair) asks it which events a producer sent that never arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

APPLIED = "applied"
# An event given up on: the repair leaves it alone, a replay of the dead letter tries it again.
DEAD_LETTERED = "dead_lettered"


def _upsert(session: AsyncSession, table: Table) -> Any:
    """The dialect's INSERT that can say ON CONFLICT … RETURNING (PostgreSQL, SQLite ≥ 3.35)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def claim_new(
    session: AsyncSession,
    table: Table,
    consumer: str,
    ids: Sequence[str],
    now: datetime,
) -> list[bool]:
    """Record `ids` as applied by `consumer` inside the caller's transaction, in one statement;
    per id, whether it is new to apply (False: applied before, or earlier in the list).

    A dead-lettered id counts as new (it comes back as a replayed dead letter) and its note
    becomes an applied one. A concurrent duplicate (a rebalance) waits on the key: once the
    other transaction commits it is not new here, and if that one rolls back it is."""
    unique = list(dict.fromkeys(ids))
    insert = _upsert(session, table)
    statement = (
        insert.values(
            [
                {"consumer": consumer, "event_id": i, "processed_at": now, "outcome": APPLIED}
                for i in unique
            ]
        )
        .on_conflict_do_update(
            index_elements=[table.c.consumer, table.c.event_id],
            set_={"outcome": APPLIED, "processed_at": insert.excluded.processed_at},
            where=table.c.outcome == DEAD_LETTERED,
        )
        .returning(table.c.event_id)
    )
    new = set(await session.scalars(statement))
    applied = []
    for event_id in ids:
        applied.append(event_id in new)
        new.discard(event_id)
    return applied


async def known_ids(
    sessions: async_sessionmaker[AsyncSession], table: Table, consumer: str, ids: Sequence[str]
) -> set[str]:
    """Ids among `ids` the consumer has applied or dead-lettered."""
    async with sessions() as session:
        query = select(table.c.event_id).where(
            table.c.consumer == consumer, table.c.event_id.in_(list(ids))
        )
        return set(await session.scalars(query))


async def note_dead_letter(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    consumer: str,
    event_id: str,
    now: datetime,
) -> None:
    """Note `event_id` as dead-lettered so the repair does not pull it again and again. Best
    effort: without the note the repair would dead-letter it once more, nothing worse."""
    try:
        async with sessions() as session, session.begin():
            known = await session.scalar(
                select(table.c.event_id).where(
                    table.c.consumer == consumer, table.c.event_id == event_id
                )
            )
            if known is None:
                await session.execute(
                    table.insert().values(
                        consumer=consumer,
                        event_id=event_id,
                        processed_at=now,
                        outcome=DEAD_LETTERED,
                    )
                )
    except Exception as exc:
        log.warning("consumer %s: could not note dead letter %s: %r", consumer, event_id, exc)
