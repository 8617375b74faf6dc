"""A relay's watch for broker resets, and its answer (used by shared.relay).

With it, an acknowledgement counts only when the broker, asked afterwards, has the record
(shared.acks); a row it lacks stays unsent, and so do that key's later rows (order per key).
A topic published to before that the broker now lacks gets nothing until it is back with its
partitions. Every `check_s` the broker is asked whether it lost records it had confirmed (a
restarted in-memory broker). A reset, however seen, is answered once: rows marked sent in the
last `window_s` become unsent and the relay publishes them again in id order (consumers
deduplicate); counted in `duban_broker_resets_total` and `duban_outbox_republished_total`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import outbox_rows
from shared.acks import BrokerWitness
from shared.clock import Clock

log = logging.getLogger(__name__)

RESETS = Counter("duban_broker_resets", "Broker resets the relay detected", ["service"])
REPUBLISHED = Counter(
    "duban_outbox_republished", "Sent outbox rows published again after a broker reset", ["service"]
)


class BrokerResets:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        bootstrap_servers: str,
        *,
        name: str,
        clock: Clock,
        window_s: float,
        check_s: float,
    ) -> None:
        self.engine, self.outbox, self.name, self.clock = engine, outbox, name, clock
        self.window = timedelta(seconds=window_s)
        self.check_s = check_s
        self.witness = BrokerWitness(bootstrap_servers, name)
        self.pending = False  # a reset seen and not yet answered
        self.republished = 0
        self._missing: set[str] = set()  # topics published to before that the broker lacks
        self._next_check = 0.0
        self._last_answer: float | None = None

    async def watch(self, producer: AIOKafkaProducer) -> None:
        """Every `check_s`: ask the broker whether it lost records; answer a pending reset."""
        now = asyncio.get_running_loop().time()
        if now < self._next_check:
            return
        self._next_check = now + self.check_s
        if await self.witness.reset_seen(producer):
            self.pending = True
        await self.answer()

    async def sendable(self, producer: AIOKafkaProducer, rows: list[Any]) -> list[Any]:
        """`rows` without those of a topic the broker lost (it comes back with its partitions:
        the runner recreates it; published now, they would land in a default layout)."""
        topics = {r.topic for r in rows}
        missing = await self.witness.unavailable(producer, topics)
        if missing - self._missing:
            log.warning("outbox relay %s: topics %s missing; waiting", self.name, missing)
            self.pending = True
        self._missing = (self._missing - topics) | missing
        return [r for r in rows if r.topic not in missing]

    async def confirmed(
        self, producer: AIOKafkaProducer, acked: Sequence[tuple[Any, Any]]
    ) -> list[int]:
        """Ids of the acknowledged (row, RecordMetadata) the broker has, in order per key."""
        have, reset = await self.witness.confirm(producer, [(row.id, md) for row, md in acked])
        self.pending = self.pending or reset
        # A key's rows after one the broker lacks are not counted either (order per key).
        kept, lost_keys, sent = set(have), set(), []
        for row, _ in acked:
            if row.id in kept and row.key not in lost_keys:
                sent.append(row.id)
            else:
                lost_keys.add(row.key)
        return sent

    async def answer(self) -> int:
        """Answer a pending reset: rows sent within `window` become unsent again; how many.
        At most once per `check_s`: one reset is often seen several ways at once."""
        if not self.pending:
            return 0
        now = asyncio.get_running_loop().time()
        if self._last_answer is not None and now - self._last_answer < self.check_s:
            return 0  # still pending: answered on a later round
        self._last_answer = now
        since = self.clock.now() - self.window
        async with self.engine.begin() as conn:
            count = await outbox_rows.mark_unsent_since(conn, self.outbox, since)
        self.pending = False
        self.witness.forget_offsets()
        self.republished += count
        RESETS.labels(self.name).inc()
        REPUBLISHED.labels(self.name).inc(count)
        log.warning(
            "outbox relay %s: the broker lost records (reset); publishing %d row(s) sent since "
            "%s again",
            self.name,
            count,
            since.isoformat(),
        )
        return count
