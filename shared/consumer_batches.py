"""A consumer's batches (shared.consumer): a partition's records of one fetch applied in one
transaction, and what happens around a record that fails in it.

BEGIN, the processed-event check and COMMIT were most of a small event's cost, so records go
together; when the handler fails on one of them the batch is rolled back, the records before it
go together again, it goes alone (the failed try counts), then the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.contract import Envelope
from shared.dlq import Record
from shared.processed import claim_new

log = logging.getLogger("shared.consumer")

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


class HandlerFailed(Exception):
    """The handler failed on the envelope at `index` of a batch (the batch is rolled back)."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


class Batches:
    """Mixed into ConsumerRunner, which provides the attributes and `handle_record`."""

    name: str
    max_batch: int
    sessionmaker: async_sessionmaker[AsyncSession]
    processed: Table
    handler: Handler
    clock: Clock
    _stopping: asyncio.Event

    async def handle_record(self, record: Record, first_error: Exception | None = None) -> bool:
        raise NotImplementedError

    def _count(self, record: Record, applied: bool) -> None:
        raise NotImplementedError

    async def _handle_partition(self, records: list[Record]) -> int | None:
        """Handle records in order; the offset to commit, or None if none was finished."""
        next_offset: int | None = None
        for start in range(0, len(records), self.max_batch):
            chunk = records[start : start + self.max_batch]
            done = await self._handle_run(chunk)
            next_offset = chunk[done - 1].offset + 1 if done else next_offset
            if done < len(chunk):
                break
        return next_offset

    async def _handle_run(self, records: list[Record]) -> int:
        """Handle records in order, together where they all succeed; how many were finished."""
        if len(records) < 2 or self._stopping.is_set():
            return await self._one_by_one(records)
        envelopes = []
        for i, record in enumerate(records):
            try:
                envelope = Envelope.parse_message(record.value)
                envelope.typed_payload()
            except ValueError:
                return await self._around(records, i, None)  # it goes to the DLQ
            envelopes.append(envelope)
        try:
            applied = await self._apply_all(envelopes)
        except HandlerFailed as failed:
            return await self._around(records, failed.index, failed.error)
        except Exception as exc:
            log.info("consumer %s: batch rolled back (%r); one by one", self.name, exc)
            return await self._one_by_one(records)
        for record, new in zip(records, applied, strict=True):
            self._count(record, new)
        return len(records)

    async def _around(self, records: list[Record], i: int, error: Exception | None) -> int:
        """Records before i together, record i alone (its first try ended in `error`), the rest."""
        done = await self._handle_run(records[:i])
        if done < i or not await self.handle_record(records[i], first_error=error):
            return done
        return i + 1 + await self._handle_run(records[i + 1 :])

    async def _one_by_one(self, records: list[Record]) -> int:
        done = 0
        while done < len(records) and await self.handle_record(records[done]):
            done += 1
        return done

    async def _apply_all(self, envelopes: list[Envelope]) -> list[bool]:
        """Record the event ids and run the handler for each new one, in order, in one
        transaction; per envelope, False if it was processed before (or earlier in the list)."""
        ids = [str(e.event_id) for e in envelopes]
        async with self.sessionmaker() as session, session.begin():
            applied = await claim_new(session, self.processed, self.name, ids, self.clock.now())
            for i, (envelope, new) in enumerate(zip(envelopes, applied, strict=True)):
                if new:
                    try:
                        await self.handler(session, envelope)
                    except Exception as exc:
                        raise HandlerFailed(i, exc) from exc
        return applied
