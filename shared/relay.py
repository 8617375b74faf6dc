"""The outbox relay: publishes a service's outbox table to the broker (rows: shared.outbox).

`OutboxRelay` publishes unsent rows in id order with `acks=all` and marks a row sent only after
the broker acknowledged it; a crash in between republishes the row (consumers dedupe by
event_id). It wakes on PostgreSQL LISTEN/NOTIFY and on an in-process hook after a commit that
added events (SQLite), and polls every `poll_interval` seconds as a fallback.

Several relays may share one PostgreSQL database: rows are claimed with
`FOR UPDATE SKIP LOCKED`, and a relay publishes a claimed row only if no older unsent row of
the same key is held by someone else (see `_publishable`). On SQLite run one relay per
database file; it reads, publishes, then marks sent in a short write transaction, so the
single SQLite writer lock is never held across network I/O.

Failure semantics: when a send fails, that key's later rows of the batch are not marked sent,
but they may already have reached the broker (they were queued behind the failed one). They
are published again after the failed row, so a consumer may see a later event of that key
before the earlier one's retry, then again in order; handlers must stay idempotent. A row the
broker can never take (too large) blocks its own key, is logged on every attempt and counted
in `duban_outbox_publish_failures_total`; other keys go on.

Lost acknowledgements (issue #17): with `verify_acks` an acknowledgement counts only when the
broker, asked afterwards, has the record (shared.acks); a row it lacks stays unsent. Every
`reset_check_s` the relay also asks whether the broker lost records it had confirmed (a restarted
in-memory broker); then rows marked sent in the last `republish_window_s` are marked unsent
again and published anew, in id order (consumers deduplicate), counted in
`duban_outbox_republished_total`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from prometheus_client import Counter, Gauge
from sqlalchemy import ARRAY, BigInteger, Table, any_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.acks import BrokerWitness
from shared.clock import Clock, SystemClock
from shared.db import is_sqlite

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "duban_outbox"
_local_wakeups: set[asyncio.Event] = set()

PUBLISHED = Counter("duban_outbox_published", "Outbox rows published and marked sent", ["service"])
PUBLISH_FAILURES = Counter(
    "duban_outbox_publish_failures", "Outbox rows whose publish failed", ["service"]
)
RESETS = Counter("duban_broker_resets", "Broker resets the relay detected", ["service"])
REPUBLISHED = Counter(
    "duban_outbox_republished", "Sent outbox rows published again after a broker reset", ["service"]
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
        self._producer = producer
        self._own_producer = producer is None
        self._sqlite = is_sqlite(engine)
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self._blocked = 0
        self.published = 0
        self.republished = 0
        self.republish_window = timedelta(seconds=republish_window_s)
        self.reset_check_s = reset_check_s
        self._witness = BrokerWitness(bootstrap_servers, self.name) if verify_acks else None
        self._reset_pending = False
        self._next_reset_check = 0.0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._producer is None:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers, acks="all", linger_ms=5
            )
        if self._own_producer:
            await self._producer.start()
        self._stopping = False
        _local_wakeups.add(self._wakeup)
        await self._listen()
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.name}")

    async def stop(self, grace: float | None = None) -> None:
        """Finish the batch in hand (up to `grace` s, default `stop_timeout`), then stop."""
        self._stopping = True
        self._wakeup.set()
        _local_wakeups.discard(self._wakeup)
        if self._task is not None:
            wait = self.stop_timeout if grace is None else grace
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), wait)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
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
                await self._watch_for_reset()
                # Rows committed while LISTEN was down are found by this query.
                sent = await self.publish_batch()
                if sent >= self.batch_size:
                    continue
                if self._blocked or self._reset_pending:
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
                publishable = await self._publishable(conn, rows) if rows else []
                sent_ids = await self._publish(publishable) if publishable else []
                await self._mark_sent(conn, sent_ids)
                await self._measure_lag(conn)
        self._blocked = len(rows) - len(publishable)
        self.published += len(sent_ids)
        PUBLISHED.labels(self.name).inc(len(sent_ids))
        if self._reset_pending:
            await self.republish_recent()
        return len(sent_ids)

    # ------------------------------------------------------------------ broker resets
    async def _watch_for_reset(self) -> None:
        if self._witness is None or self._producer is None:
            return
        now = asyncio.get_running_loop().time()
        if now < self._next_reset_check:
            return
        self._next_reset_check = now + self.reset_check_s
        if await self._witness.reset_seen(self._producer):
            self._reset_pending = True
        if self._reset_pending:
            await self.republish_recent()

    async def republish_recent(self) -> int:
        """After a broker reset: rows sent within `republish_window` become unsent again, so the
        relay publishes them anew in id order; returns how many."""
        o = self.outbox
        since = self.clock.now() - self.republish_window
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(o).where(o.c.sent_at.is_not(None), o.c.sent_at >= since).values(sent_at=None)
            )
        count = int(result.rowcount or 0)
        self._reset_pending = False
        if self._witness is not None:
            self._witness.forget_offsets()
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

    async def _claim(self, conn: AsyncConnection) -> list[Any]:
        o = self.outbox
        query = select(o.c.id, o.c.topic, o.c.key, o.c.value).where(o.c.sent_at.is_(None))
        query = query.order_by(o.c.id).limit(self.batch_size)
        if not self._sqlite:
            query = query.with_for_update(skip_locked=True)
        return list((await conn.execute(query)).all())

    async def _mark_sent(self, conn: AsyncConnection, ids: list[int]) -> None:
        if not ids:
            return
        o = self.outbox
        matches = (
            o.c.id.in_(ids)
            if self._sqlite
            else o.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger())))
        )
        await conn.execute(update(o).where(matches).values(sent_at=self.clock.now()))

    async def _measure_lag(self, conn: AsyncConnection) -> None:
        o = self.outbox
        oldest = await conn.scalar(
            select(o.c.created_at).where(o.c.sent_at.is_(None)).order_by(o.c.id).limit(1)
        )
        lag = (self.clock.now() - oldest).total_seconds() if oldest is not None else 0.0
        LAG.labels(self.name).set(max(lag, 0.0))

    async def _publishable(self, conn: AsyncConnection, rows: list[Any]) -> list[Any]:
        """Keep, per key, only claimed rows older than any unsent row we did not claim.

        Run after the claim, so under READ COMMITTED it sees every row another relay holds
        (still unsent until that relay commits) and every row it already marked sent (acked
        before that commit). Rows of a key behind someone else's row stay for a later round;
        the holder of a key's oldest unsent row always may publish it, so every key advances.
        """
        o = self.outbox
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

    async def _publish(self, rows: list[Any]) -> list[int]:
        """Send rows in id order (one key's rows queue in order); ids the broker acknowledged
        (and, with `verify_acks`, has)."""
        assert self._producer is not None, "relay not started"
        futures: list[tuple[Any, asyncio.Future[Any]]] = []
        failed_keys: set[str] = set()
        if self._witness is not None:
            missing = await self._witness.unavailable(self._producer, {r.topic for r in rows})
            if missing:
                # The broker lost a topic we published to: wait until it is back with its
                # partitions (the runner recreates it) rather than publish into a default one.
                log.warning("outbox relay %s: topics %s missing; waiting", self.name, missing)
                self._reset_pending = True
                rows = [r for r in rows if r.topic not in missing]
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
        if self._witness is None:
            return [row.id for row, _ in acked]
        confirmed, reset = await self._witness.confirm(
            self._producer, [(row.id, md) for row, md in acked]
        )
        self._reset_pending = self._reset_pending or reset
        # A key's rows after one the broker lacks are not counted either (order per key).
        have, lost_keys, sent = set(confirmed), set(), []
        for row, _ in acked:
            if row.id in have and row.key not in lost_keys:
                sent.append(row.id)
            else:
                lost_keys.add(row.key)
        return sent

    def _failed(self, row: Any, exc: Exception) -> None:
        log.warning(
            "outbox relay %s: publish of row %s (key %s) failed: %r",
            self.name,
            row.id,
            row.key,
            exc,
        )
        PUBLISH_FAILURES.labels(self.name).inc()
