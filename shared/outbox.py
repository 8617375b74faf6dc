"""Transactional outbox: events written in the caller's transaction (the relay: shared.relay).

`add_event(session, outbox, envelope, topic, now=...)` inserts a row in the same transaction as
the state change it describes; call it after the write that locks the aggregate, so that two
transactions on one aggregate take outbox ids in commit order (order per key is id order).
On commit, relays wake: this process's through an in-process hook right after the commit,
other processes' through NOTIFY (PostgreSQL). `OutboxRelay` is re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

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
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contract import Envelope
from shared.db import UTCDateTime
from shared.relay import NOTIFY_CHANNEL, OutboxRelay, wake_local_relays

__all__ = [
    "NOTIFY_CHANNEL",
    "OutboxRelay",
    "OutboxRow",
    "OutboxTables",
    "add_event",
    "add_events",
    "add_serialized_events",
    "define_outbox_tables",
    "wake_local_relays",
]


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


def _after_commit(session: Any) -> None:
    session.info.pop("outbox_notified", None)
    if session.info.pop("outbox_pending", False):
        wake_local_relays()


def _after_rollback(session: Any) -> None:
    session.info.pop("outbox_pending", None)


def _after_soft_rollback(session: Any, _previous: Any) -> None:
    # A rolled-back savepoint discards the NOTIFYs made inside it: the next event sends one.
    session.info.pop("outbox_notified", None)


async def _announce(session: AsyncSession) -> None:
    """Wake relays once the caller's transaction commits: this process's relays through an
    in-process hook right after the commit (no round trip through the database), and on
    PostgreSQL every other process's through NOTIFY."""
    if session.get_bind().dialect.name == "postgresql" and not session.info.get("outbox_notified"):
        # Delivered at commit (and only then), to relays in any process; one per transaction
        # is enough (a round trip each, on the path of an urgent event).
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
        session.info["outbox_notified"] = True
    session.info["outbox_pending"] = True
    if not session.info.get("outbox_wake_hooked"):
        session.info["outbox_wake_hooked"] = True
        event.listen(session.sync_session, "after_commit", _after_commit)
        event.listen(session.sync_session, "after_rollback", _after_rollback)
        event.listen(session.sync_session, "after_soft_rollback", _after_soft_rollback)


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
    await _announce(session)


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
        await _announce(session)
        raw = await (await session.connection()).get_raw_connection()
        driver: Any = raw.driver_connection
        if not driver.is_in_transaction():
            raise RuntimeError("add_events needs an open transaction")
        # Binary COPY: a batch of thousands costs one round trip and no statement to parse
        # (ids are taken in row order, so order per key is kept).
        await driver.copy_records_to_table(
            outbox.name,
            records=[(*r, now) for r in rows],
            columns=["event_id", "topic", "key", "value", "created_at"],
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
        await _announce(session)
