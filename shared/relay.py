"""The outbox relay: publishes a service's outbox table to the broker (rows: shared.outbox).

`OutboxRelay` publishes unsent rows in id order with `acks=all` and marks a row sent only after
the broker acknowledged it; a crash in between republishes the row (consumers dedupe by
event_id). It wakes on an in-process hook right after a commit of its own process that added
events, on PostgreSQL LISTEN/NOTIFY (other processes), and polls every `poll_interval` seconds
as a fallback.

Several relays may share one PostgreSQL database: rows are claimed with
`FOR UPDATE SKIP LOCKED`, and a relay publishes a claimed row only if no older unsent row of
the same key is held by someone else (see `outbox_rows.publishable`). On SQLite run one relay per
database file; it reads, publishes, then marks sent in a short write transaction, so the
single SQLite writer lock is never held across network I/O.

Failure semantics: when a send fails, that key's later rows of the batch are not marked sent,
but they may already have reached the broker (they were queued behind the failed one). They
are published again after the failed row, so a consumer may see a later event of that key
before the earlier one's retry, then again in order; handlers must stay idempotent. A row the
broker can never take (too large) blocks its own key, is logged on every attempt and counted
in `duban_outbox_publish_failures_total`; other keys go on.

Lost acknowledgements (issue #17): with `verify_acks` an acknowledgement counts only when the
broker, asked afterwards, has the record, and a broker reset is answered by publishing the
rows sent in the last `republish_window_s` again (shared.resets).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import PurePath
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from prometheus_client import Counter, Gauge
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import outbox_rows
from shared.clock import Clock, SystemClock
from shared.db import is_sqlite
from shared.loops import start_loop, stop_loop
from shared.resets import BrokerResets

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "duban_outbox"
_local_wakeups: set[asyncio.Event] = set()

PUBLISHED = Counter("duban_outbox_published", "Outbox rows published and marked sent", ["service"])
PUBLISH_FAILURES = Counter(
    "duban_outbox_publish_failures", "Outbox rows whose publish failed", ["service"]
)
LAG = Gauge(
    "duban_outbox_lag_seconds", "Age of the oldest unsent outbox row (0 when empty)", ["service"]
)


def wake_local_relays() -> None:
    """Wake every relay of this process (the SQLite path; PostgreSQL uses NOTIFY)."""
    for wakeup in list(_local_wakeups):
        wakeup.set()


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        bootstrap_servers: str,
        *,
        clock: Clock | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        producer: AIOKafkaProducer | None = None,
        name: str | None = None,
        stop_timeout: float = 5.0,
        verify_acks: bool = True,
        republish_window_s: float = 3600.0,
        reset_check_s: float = 5.0,
        linger_ms: int = 0,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.bootstrap_servers = bootstrap_servers
        self.clock = clock or SystemClock()
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        # The metrics label: the service's name, else its database's (hazard_api.db → hazard_api).
        self.name = name or PurePath(engine.url.database or "outbox").stem
        self.stop_timeout = stop_timeout
        self.linger_ms = linger_ms
        self._producer = producer
        self._own_producer = producer is None
        self._sqlite = is_sqlite(engine)
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self._blocked = 0
        self.published = 0
        self._resets = (
            BrokerResets(
                engine,
                outbox,
                bootstrap_servers,
                name=self.name,
                clock=self.clock,
                window_s=republish_window_s,
                check_s=reset_check_s,
            )
            if verify_acks
            else None
        )

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._producer is None:
            # No linger: a batch's rows are handed to the producer in one go and batch by
            # themselves, so lingering only delayed a lone urgent event (5 ms on every hop).
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers, acks="all", linger_ms=self.linger_ms
            )
        if self._own_producer:
            await self._producer.start()
        self._stopping = False
        _local_wakeups.add(self._wakeup)
        await self._listen()
        self._task = start_loop(self._run(), name=f"outbox-relay-{self.name}")

    async def stop(self, grace: float | None = None) -> None:
        """Finish the batch in hand (up to `grace` s, default `stop_timeout`), then stop."""
        self._stopping = True
        self._wakeup.set()
        _local_wakeups.discard(self._wakeup)
        task, self._task = self._task, None
        await stop_loop(task, grace=self.stop_timeout if grace is None else grace)
        await self._close_listener()
        if self._producer is not None and self._own_producer:
            await self._producer.stop()
            self._producer = None

    def wake(self) -> None:
        self._wakeup.set()

    async def _listen(self) -> None:
        """(Re)connect the LISTEN connection; without it the relay still polls."""
        if self._sqlite or (self._listener is not None and not self._listener.is_closed()):
            return
        import asyncpg

        await self._close_listener()
        url = self.engine.url.set(drivername="postgresql")
        try:
            self._listener = await asyncpg.connect(
                url.render_as_string(hide_password=False), timeout=5
            )
            await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wakeup.set())
            # A lost connection wakes the loop, which reconnects and looks for missed rows.
            self._listener.add_termination_listener(lambda *_: self._wakeup.set())
        except Exception as exc:
            log.warning("outbox relay %s: LISTEN unavailable, polling: %r", self.name, exc)
            await self._close_listener()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the query: a NOTIFY arriving meanwhile makes the wait return.
            self._wakeup.clear()
            timeout = self.poll_interval
            try:
                await self._listen()  # reconnects a lost LISTEN connection
                if self._resets is not None and self._producer is not None:
                    await self._resets.watch(self._producer)
                # Rows committed while LISTEN was down are found by this query.
                sent = await self.publish_batch()
                if sent >= self.batch_size:
                    continue
                if self._blocked or (self._resets is not None and self._resets.pending):
                    # Another relay holds an older row of a key we claimed; it commits soon.
                    timeout = min(timeout, 0.05)
            except Exception:
                log.exception("outbox relay %s: batch failed; retrying", self.name)
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=timeout)

    # ------------------------------------------------------------------ work
    async def publish_batch(self) -> int:
        """Publish one batch of unsent rows; returns how many were marked sent."""
        if self._sqlite:
            async with self.engine.connect() as conn:
                rows = publishable = await self._claim(conn)
            sent_ids = await self._publish(rows) if rows else []
            async with self.engine.begin() as conn:
                await self._mark_sent(conn, sent_ids)
                await self._measure_lag(conn)
        else:
            async with self.engine.connect() as conn, conn.begin():
                rows = await self._claim(conn)
                publishable = await outbox_rows.publishable(conn, self.outbox, rows) if rows else []
                sent_ids = await self._publish(publishable) if publishable else []
                await self._mark_sent(conn, sent_ids)
                await self._measure_lag(conn)
        self._blocked = len(rows) - len(publishable)
        self.published += len(sent_ids)
        PUBLISHED.labels(self.name).inc(len(sent_ids))
        if self._resets is not None:
            await self._resets.answer()
        return len(sent_ids)

    @property
    def republished(self) -> int:
        """Rows published again after broker resets."""
        return self._resets.republished if self._resets is not None else 0

    async def _claim(self, conn: AsyncConnection) -> list[Any]:
        return await outbox_rows.claim(conn, self.outbox, self.batch_size, lock=not self._sqlite)

    async def _mark_sent(self, conn: AsyncConnection, ids: list[int]) -> None:
        now = self.clock.now()
        await outbox_rows.mark_sent(conn, self.outbox, ids, now, sqlite=self._sqlite)

    async def _measure_lag(self, conn: AsyncConnection) -> None:
        oldest = await outbox_rows.oldest_unsent(conn, self.outbox)
        lag = (self.clock.now() - oldest).total_seconds() if oldest is not None else 0.0
        LAG.labels(self.name).set(max(lag, 0.0))

    async def _publish(self, rows: list[Any]) -> list[int]:
        """Send rows in id order (one key's rows queue in order); ids the broker acknowledged
        (and, with `verify_acks`, has)."""
        assert self._producer is not None, "relay not started"
        futures: list[tuple[Any, asyncio.Future[Any]]] = []
        failed_keys: set[str] = set()
        if self._resets is not None:
            rows = await self._resets.sendable(self._producer, rows)
        for row in rows:
            if row.key in failed_keys:
                continue
            try:
                fut = await self._producer.send(row.topic, row.value.encode(), key=row.key.encode())
            except MessageSizeTooLargeError as exc:
                self._failed(row, exc)
                failed_keys.add(row.key)
                continue
            except Exception as exc:  # broker or metadata trouble: no point sending more
                self._failed(row, exc)
                break
            futures.append((row, fut))
        acked: list[tuple[Any, Any]] = []
        for row, fut in futures:
            try:
                metadata = await fut
            except Exception as exc:
                self._failed(row, exc)
                failed_keys.add(row.key)
                continue
            if row.key not in failed_keys:
                acked.append((row, metadata))
        if self._resets is None:
            return [row.id for row, _ in acked]
        return await self._resets.confirmed(self._producer, acked)

    def _failed(self, row: Any, exc: Exception) -> None:
        log.warning(
            "outbox relay %s: publish of row %s (key %s) failed: %r",
            self.name,
            row.id,
            row.key,
            exc,
        )
        PUBLISH_FAILURES.labels(self.name).inc()
