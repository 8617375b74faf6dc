"""Transactional outbox: events written in the caller's transaction, published by a relay.

`add_event(session, envelope, topic)` inserts a row in the same transaction as the state
change it describes. `OutboxRelay` publishes unsent rows in id order with `acks=all` and marks
a row sent only after the broker acknowledged it. Several relays may share one PostgreSQL
database: rows are claimed with `FOR UPDATE SKIP LOCKED`, and a relay publishes a key only when
the oldest unsent row of that key is among its claimed rows, so order per key holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.clock import Clock, SystemClock
from shared.contract import Envelope
from shared.db import UTCDateTime, is_sqlite

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "duban_outbox"
_local_wakeups: set[asyncio.Event] = set()


@dataclass(frozen=True)
class OutboxTables:
    outbox: Table
    processed_events: Table


def define_outbox_tables(metadata: MetaData) -> OutboxTables:
    """The outbox and processed-event tables, added to a service's own metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(100), nullable=False),
        Column("value", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("sent_at", UTCDateTime(), nullable=True),
    )
    Index(
        "ix_outbox_unsent",
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    Index(
        "ix_outbox_key_unsent",
        outbox.c.key,
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UTCDateTime(), nullable=False),
        Column("outcome", String(20), nullable=False, server_default="applied"),
    )
    return OutboxTables(outbox=outbox, processed_events=processed)


def _wake_local_relays(_session: Any) -> None:
    for wakeup in list(_local_wakeups):
        wakeup.set()


async def add_event(
    session: AsyncSession, outbox: Table, envelope: Envelope, topic: str, *, now: datetime
) -> None:
    """Queue `envelope` for `topic` inside the caller's open transaction."""
    await session.execute(
        outbox.insert().values(
            event_id=str(envelope.event_id),
            topic=topic,
            key=envelope.aggregate_id,
            value=envelope.model_dump_json(),
            created_at=now,
        )
    )
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Delivered at commit, so a relay never wakes for a row it cannot yet see.
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    if not session.info.get("outbox_wake_hooked"):
        session.info["outbox_wake_hooked"] = True
        event.listen(session.sync_session, "after_commit", _wake_local_relays)


async def add_events(
    session: AsyncSession,
    outbox: Table,
    events: Sequence[tuple[Envelope, str]],
    *,
    now: datetime,
) -> None:
    """Queue many `(envelope, topic)` pairs in one multi-row insert (hot paths, batches)."""
    rows = [
        OutboxRow(str(env.event_id), topic, env.aggregate_id, env.model_dump_json())
        for env, topic in events
    ]
    await add_serialized_events(session, outbox, rows, now=now)


class OutboxRow(NamedTuple):
    event_id: str
    topic: str
    key: str
    value: str  # the envelope's JSON


async def add_serialized_events(
    session: AsyncSession, outbox: Table, rows: Sequence[OutboxRow], *, now: datetime
) -> None:
    """Like `add_events`, for callers that serialise their envelopes themselves."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        # NOTIFY first, through SQLAlchemy: that opens the transaction (SQLAlchemy begins
        # lazily, and a raw statement before that would autocommit); delivered at commit.
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
        raw = await (await session.connection()).get_raw_connection()
        driver: Any = raw.driver_connection
        if not driver.is_in_transaction():
            raise RuntimeError("add_events needs an open transaction")
        # One statement over arrays: a batch of thousands costs one round trip.
        await driver.execute(
            f"INSERT INTO {outbox.name} (event_id, topic, key, value, created_at) "
            "SELECT e, t, k, v, $5 FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], "
            "$4::text[]) AS u(e, t, k, v)",
            [r.event_id for r in rows],
            [r.topic for r in rows],
            [r.key for r in rows],
            [r.value for r in rows],
            now,
        )
    else:
        await session.execute(
            outbox.insert(),
            [
                {
                    "event_id": r.event_id,
                    "topic": r.topic,
                    "key": r.key,
                    "value": r.value,
                    "created_at": now,
                }
                for r in rows
            ],
        )
    if not session.info.get("outbox_wake_hooked"):
        session.info["outbox_wake_hooked"] = True
        event.listen(session.sync_session, "after_commit", _wake_local_relays)


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
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.bootstrap_servers = bootstrap_servers
        self.clock = clock or SystemClock()
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._producer = producer
        self._own_producer = producer is None
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self.published = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._producer is None:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers, acks="all", linger_ms=1
            )
        if self._own_producer:
            await self._producer.start()
        _local_wakeups.add(self._wakeup)
        await self._listen()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        _local_wakeups.discard(self._wakeup)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        if self._producer is not None and self._own_producer:
            await self._producer.stop()
            self._producer = None

    def wake(self) -> None:
        self._wakeup.set()

    async def _listen(self) -> None:
        if is_sqlite(self.engine):
            return
        import asyncpg

        url = self.engine.url.set(drivername="postgresql")
        self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
        await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wakeup.set())

    async def _run(self) -> None:
        while True:
            try:
                published = await self.publish_batch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay: batch failed; retrying")
                published = 0
                await asyncio.sleep(self.poll_interval)
            if published < self.batch_size:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_interval)

    # ------------------------------------------------------------------ work
    async def publish_batch(self) -> int:
        """Publish one batch of unsent rows; returns how many were marked sent."""
        assert self._producer is not None, "relay not started"
        o = self.outbox
        query = select(o.c.id, o.c.topic, o.c.key, o.c.value).where(o.c.sent_at.is_(None))
        query = query.order_by(o.c.id).limit(self.batch_size)
        sqlite = is_sqlite(self.engine)
        if not sqlite:
            query = query.with_for_update(skip_locked=True)
        async with self.engine.connect() as conn, conn.begin():
            rows = list((await conn.execute(query)).all())
            if not rows:
                return 0
            if not sqlite:
                rows = await self._publishable(conn, rows)
            sent_ids = await self._publish(rows)
            if sent_ids:
                await conn.execute(
                    update(o).where(o.c.id.in_(sent_ids)).values(sent_at=self.clock.now())
                )
        self.published += len(sent_ids)
        return len(sent_ids)

    async def _publishable(self, conn: Any, rows: list[Any]) -> list[Any]:
        """Drop keys whose oldest unsent row another relay holds: that relay publishes first."""
        o = self.outbox
        first_claimed: dict[str, int] = {}
        for row in rows:
            first_claimed.setdefault(row.key, row.id)
        oldest = (
            await conn.execute(
                select(o.c.key, func.min(o.c.id).label("oldest"))
                .where(o.c.sent_at.is_(None), o.c.key.in_(list(first_claimed)))
                .group_by(o.c.key)
            )
        ).all()
        blocked = {r.key for r in oldest if r.oldest < first_claimed[r.key]}
        return [row for row in rows if row.key not in blocked]

    async def _publish(self, rows: list[Any]) -> list[int]:
        assert self._producer is not None
        # send() queues in call order, so one key's rows go out in id order.
        futures = [
            (row, await self._producer.send(row.topic, row.value.encode(), key=row.key.encode()))
            for row in rows
        ]
        sent: list[int] = []
        failed_keys: set[str] = set()
        for row, fut in futures:
            try:
                await fut
            except Exception as exc:
                log.warning("outbox relay: publish of row %s failed: %s", row.id, exc)
                failed_keys.add(row.key)
                continue
            if row.key not in failed_keys:
                sent.append(row.id)
        return sent
