"""The processed-events ledger of a consumer (`processed_events`, defined in shared.outbox).

A row per event id a consumer has applied (`outcome` "applied") or given up on
("dead_lettered"). The consumer runner checks it in the handler's transaction (exactly-once in
effect); the repair (shared.repair) asks it which events a producer sent that never arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

APPLIED = "applied"
# An event given up on: the repair leaves it alone, a replay of the dead letter tries it again.
DEAD_LETTERED = "dead_lettered"


async def seen_in(
    session: AsyncSession, table: Table, consumer: str, ids: Sequence[str]
) -> set[str]:
    """Ids among `ids` applied before, inside the caller's transaction. A dead-lettered id is
    not counted as seen and its note is removed: it comes back as a replayed dead letter."""
    rows = await session.execute(
        select(table.c.event_id, table.c.outcome).where(
            table.c.consumer == consumer, table.c.event_id.in_(list(ids))
        )
    )
    seen: set[str] = set()
    replayed: list[str] = []
    for event_id, outcome in rows:
        (replayed.append if outcome == DEAD_LETTERED else seen.add)(event_id)
    if replayed:
        await session.execute(
            delete(table).where(table.c.consumer == consumer, table.c.event_id.in_(replayed))
        )
    return seen


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
