"""Outbox → relay → broker → consumer, on both databases."""

import asyncio
import uuid

from sqlalchemy import select

from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.contract import Envelope, PersonUpserted, Producer
from shared.db import make_engine, make_metadata, make_sessionmaker, transaction
from shared.outbox import OutboxRelay, add_event, define_outbox_tables
from tests.conftest import unique_topic


async def test_event_travels_from_outbox_to_consumer(
    database_url: str, broker: str, clock: TestClock
) -> None:
    metadata = make_metadata()
    tables = define_outbox_tables(metadata)
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = make_sessionmaker(engine)
    topic = unique_topic("org")
    sent = [
        Envelope.of(
            PersonUpserted(person_id=f"p{i}", name=f"张{i}"),
            aggregate_id="p",
            producer=Producer.HAZARD_API,
            occurred_at=clock.now(),
        )
        for i in range(5)
    ]
    async with transaction(sessions) as session:
        for env in sent:
            await add_event(session, tables.outbox, env, topic, now=clock.now())

    received: list[str] = []

    async def handler(session, envelope: Envelope) -> None:
        received.append(str(envelope.event_id))

    relay = OutboxRelay(engine, tables.outbox, broker, clock=clock, poll_interval=0.1)
    runner = ConsumerRunner(
        name=f"g-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        bootstrap_servers=broker,
        sessionmaker=sessions,
        processed_events=tables.processed_events,
        handler=handler,
        session_timeout_ms=6000,
    )
    await relay.start()
    await runner.start()
    try:
        for _ in range(200):
            if len(received) >= 5:
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.stop()
        await relay.stop()
    assert received == [str(e.event_id) for e in sent]
    async with engine.connect() as conn:
        unsent = (
            await conn.execute(select(tables.outbox.c.id).where(tables.outbox.c.sent_at.is_(None)))
        ).all()
    assert unsent == []
    await engine.dispose()
