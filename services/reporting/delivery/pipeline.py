"""The delivery loop with requests kept in flight across batches.

Claim → send all → record → claim again leaves the connections idle while the database works
and while a batch's last slow requests finish: against bare POSTs at the same concurrency that
cost about half the throughput. Here one coordinator claims and records while the sends go on:
it claims batches to keep about four times `delivery_concurrency` requests queued or in
flight, and records the answers that are back, in one transaction per group, as soon as a
group (`delivery_concurrency` answers) is complete or slots are idle (then nothing is gained
by waiting).

The guarantees are the ledger's, not this loop's: only an item's head is ever due
(`item_seq = delivered_seq + 1`) and a claim leases the row, so a later submission of an item
is claimed only after its predecessor's delivery is recorded; an attempt is written with its
answer; a process killed here leaves claimed rows to come due again under the same webhook-id.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from shared.db import transaction

if TYPE_CHECKING:
    from services.reporting.delivery.engine import Deliverer, Job, Result


class Pipeline:
    def __init__(self, deliverer: Deliverer, *, max_claims: int, max_requests: int | None) -> None:
        self.d = deliverer
        self.max_claims, self.max_requests = max_claims, max_requests
        n = deliverer.settings.delivery_concurrency
        # Claimed and not yet answered: enough that the slots never wait for the database, few
        # enough that a queued row waits at most 4 × timeout for its answer (40 s by default),
        # inside its lease of timeout + 60 s.
        self.queued_target = 4 * n
        # Answers recorded together while every slot is busy (fewer, larger transactions: on a
        # loaded machine the database's time is taken from the same cores as the requests').
        self.group = n
        self.concurrency = n
        self.outstanding: set[asyncio.Task[None]] = set()
        self.answered: list[Result] = []
        self.changed = asyncio.Event()
        self.failure: BaseException | None = None
        self.claims = self.sent = 0

    async def _one(self, job: Job) -> None:
        try:
            result = await self.d._send(job)
            # After the await: `answered` is swapped for a new list when a group is recorded.
            self.answered.append(result)
        except Exception as exc:  # not an HTTP failure (those are answers): stop the pass
            self.failure = exc
        finally:
            self.changed.set()

    def _room(self) -> int:
        """How many rows to claim now: enough to top the queue up, in worthwhile batches."""
        if self.claims >= self.max_claims:
            return 0
        cap = self.d.settings.delivery_batch
        if self.max_requests is not None:
            cap = min(cap, self.max_requests - self.sent)
        room = min(self.queued_target - len(self.outstanding), cap)
        if room < min(self.group, cap) and self.outstanding:
            return 0
        return max(room, 0)

    async def _record(self) -> None:
        batch, self.answered = self.answered, []
        await self.d.record(batch)

    async def _claim(self, limit: int) -> int:
        async with transaction(self.d.sessionmaker) as session:
            jobs = await self.d._claim(session, self.d.clock.now(), limit=limit)
        self.claims += 1
        for job in jobs:
            task = asyncio.create_task(self._one(job))
            self.outstanding.add(task)
            task.add_done_callback(self.outstanding.discard)
        self.sent += len(jobs)
        return len(jobs)

    def _ready(self) -> bool:
        if self.failure is not None or not self.outstanding:
            return True
        # Free slots mean the loop is starved: record now so the items' next heads come due.
        starved = len(self.outstanding) < self.concurrency
        return len(self.answered) >= self.group or (bool(self.answered) and starved)

    async def run(self) -> int:
        """Sends until nothing is due (or a limit is reached); the number of requests made."""
        try:
            while True:
                if self.answered:
                    await self._record()
                dry = False  # a claim found fewer rows due than it asked for
                while not dry and (limit := self._room()):
                    dry = await self._claim(limit) < limit
                if not self.outstanding and not self.answered:
                    return self.sent
                while not self._ready():
                    self.changed.clear()
                    await self.changed.wait()
                if self.failure is not None:
                    raise self.failure
        finally:
            for task in list(self.outstanding):
                task.cancel()
            if self.outstanding:
                await asyncio.gather(*self.outstanding, return_exceptions=True)
