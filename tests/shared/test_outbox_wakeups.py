"""The relay wakes when a commit added events: in its own process at once, in others through
PostgreSQL's LISTEN/NOTIFY (one per transaction), and by polling where neither reaches it."""

from __future__ import annotations

import asyncpg
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, func, select

from shared.clock import TestClock
from shared.contract import Envelope
from shared.db import transaction
from shared.outbox import OutboxRelay, add_event
from shared.relay import NOTIFY_CHANNEL
from tests.conftest import DatabaseFactory, unique_topic
from tests.shared.support import (
    OutboxDb,
    add_committed,
    eventually,
    make_outbox_db,
    person_event,
    read_topic,
)


async def test_relay_wakes_on_commit_without_waiting_for_the_poll(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    """The in-process hook after the commit (and on PostgreSQL LISTEN/NOTIFY as well)."""
    topic = unique_topic("wake")
    name = f"wake-{db.engine.dialect.name}-{topic}"
    relay = OutboxRelay(
        db.engine, db.tables.outbox, broker, clock=clock, poll_interval=60, name=name
    )
    await relay.start()
    try:
        await add_committed(db, topic, person_event(clock, "first"), clock=clock)
        await eventually(lambda: relay.published == 1, within=10)
        # The relay is now idle in its 60 s wait; only a wake-up can publish this in time.
        await add_committed(db, topic, person_event(clock, "second"), clock=clock)
        await eventually(lambda: relay.published == 2, within=10)
    finally:
        await relay.stop()
    assert [r.key for r in await read_topic(broker, topic)] == [b"first", b"second"]
    assert REGISTRY.get_sample_value("duban_outbox_published_total", {"service": name}) == 2
    assert REGISTRY.get_sample_value("duban_outbox_lag_seconds", {"service": name}) == 0


async def test_on_postgresql_a_relay_of_the_committing_process_wakes_without_notify(
    pg_db: OutboxDb, broker: str, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row goes right after the commit, not after a round trip through NOTIFY (#15)."""
    db = pg_db
    topic = unique_topic("local-wake")
    relay = OutboxRelay(db.engine, db.tables.outbox, broker, clock=clock, poll_interval=60)

    async def no_listen() -> None:  # no LISTEN connection: NOTIFY reaches nobody
        return None

    monkeypatch.setattr(relay, "_listen", no_listen)
    await relay.start()
    try:
        await add_committed(db, topic, person_event(clock, "first"), clock=clock)
        await eventually(lambda: relay.published == 1, within=10)
        await add_committed(db, topic, person_event(clock, "second"), clock=clock)
        await eventually(lambda: relay.published == 2, within=10)  # poll interval: 60 s
    finally:
        await relay.stop()
    assert relay._listener is None


async def test_on_postgresql_a_transaction_notifies_once_and_again_after_a_savepoint_rollback(
    pg_db: OutboxDb, clock: TestClock
) -> None:
    """One NOTIFY per transaction however many events it adds (a round trip each on an
    urgent event's path); a rolled-back savepoint takes its NOTIFY with it, so the next event
    sends one again and other processes' relays still hear of the commit."""
    db = pg_db
    topic = unique_topic("notify-once")
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("NOTIFY"):
            sent.append(statement)

    listener = await asyncpg.connect(
        db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    heard: list[str] = []
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: heard.append(args[2]))
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await add_committed(
            db, topic, person_event(clock, "a"), person_event(clock, "b"), clock=clock
        )
        assert len(sent) == 1
        await eventually(lambda: len(heard) == 1, within=10)
        async with transaction(db.sessions) as session:
            try:
                async with session.begin_nested():
                    await add_event(
                        session, db.tables.outbox, person_event(clock, "c"), topic, now=clock.now()
                    )
                    raise RuntimeError("roll the savepoint back")
            except RuntimeError:
                pass
            await add_event(
                session, db.tables.outbox, person_event(clock, "d"), topic, now=clock.now()
            )
        assert len(sent) == 3
        await eventually(lambda: len(heard) == 2, within=10)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        await listener.close()


async def test_on_sqlite_a_row_written_by_another_process_is_found_by_polling(
    make_database_url: DatabaseFactory, broker: str, clock: TestClock
) -> None:
    db = await make_outbox_db(await make_database_url("sqlite"))
    topic = unique_topic("poll")
    envelope = person_event(clock)
    relay = OutboxRelay(db.engine, db.tables.outbox, broker, clock=clock, poll_interval=0.2)
    assert relay.name == "duban"  # metrics label from the database file: …/duban.db
    await relay.start()
    try:
        # A plain insert, as another process would do it: no in-process wake-up.
        async with db.engine.begin() as conn:
            await conn.execute(
                db.tables.outbox.insert().values(
                    event_id=str(envelope.event_id),
                    topic=topic,
                    key=envelope.aggregate_id,
                    value=envelope.model_dump_json(),
                    created_at=clock.now(),
                )
            )
        await eventually(db.all_sent)
    finally:
        await relay.stop()
        await db.engine.dispose()
    assert [Envelope.parse_message(r.value) for r in await read_topic(broker, topic)] == [envelope]


async def test_relay_listens_again_after_losing_its_listen_connection(
    pg_db: OutboxDb, broker: str, clock: TestClock
) -> None:
    db = pg_db
    topic = unique_topic("relisten")
    relay = OutboxRelay(db.engine, db.tables.outbox, broker, clock=clock, poll_interval=60)
    await relay.start()
    try:
        await eventually(lambda: relay._listener is not None)
        lost = relay._listener.get_server_pid()
        async with db.engine.connect() as conn:
            await conn.execute(select(func.pg_terminate_backend(lost)))
        await eventually(
            lambda: relay._listener is not None and relay._listener.get_server_pid() != lost
        )
        await add_committed(db, topic, person_event(clock), clock=clock)
        await eventually(lambda: relay.published == 1, within=10)  # poll interval: 60 s
    finally:
        await relay.stop()
