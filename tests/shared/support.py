"""Helpers for the plumbing tests: a schema with the outbox and an effect table, topic reads."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import Column, Integer, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.hazard_api.config import Settings as HazardSettings
from shared.clock import Clock
from shared.contract import Envelope, PersonUpserted, Producer
from shared.db import make_engine, make_metadata, make_sessionmaker, transaction
from shared.outbox import OutboxTables, add_event, define_outbox_tables


@dataclass
class OutboxDb:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    tables: OutboxTables
    effects: Table

    async def count(self, table: Table) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table)) or 0)

    async def unsent(self) -> int:
        o = self.tables.outbox
        async with self.engine.connect() as conn:
            query = select(func.count()).select_from(o).where(o.c.sent_at.is_(None))
            return int(await conn.scalar(query) or 0)

    async def all_sent(self) -> bool:
        return await self.unsent() == 0

    async def apply(self, session: AsyncSession, envelope: Envelope) -> None:
        """A handler whose effect is one row per application (no unique key on purpose)."""
        await session.execute(
            self.effects.insert().values(event_id=str(envelope.event_id), key=envelope.aggregate_id)
        )


async def make_outbox_db(url: str) -> OutboxDb:
    metadata = make_metadata()
    tables = define_outbox_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("event_id", String(36), nullable=False),
        Column("key", String(100), nullable=False),
    )
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return OutboxDb(engine, make_sessionmaker(engine), tables, effects)


def person_event(clock: Clock, key: str = "p", name: str = "张三") -> Envelope:
    return Envelope.of(
        PersonUpserted(person_id=key, name=name),
        aggregate_id=key,
        producer=Producer.HAZARD_API,
        occurred_at=clock.now(),
    )


def group_name() -> str:
    return f"g-{uuid.uuid4().hex[:8]}"


async def eventually(
    condition: Callable[[], Awaitable[bool] | bool], *, within: float = 30.0, step: float = 0.05
) -> None:
    """Wait for `condition` (a generous bound; a failure means it never became true)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(step)


@asynccontextmanager
async def started_producer(broker: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def produce(broker: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_topic(
    broker: str, topic: str, *, wait: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record now in `topic` (all partitions, from the beginning), without a group.

    Waits up to `wait` s for the topic to appear; a topic that never appears is empty."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions: set[int] | None = None
        for _ in range(max(1, int(wait * 10))):
            await consumer.topics()  # refreshes metadata
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                break
            await asyncio.sleep(0.1)
        if not partitions:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def add_committed(db: OutboxDb, topic: str, *envelopes: Envelope, clock: Clock) -> None:
    """`envelopes` added to the outbox for `topic` in one committed transaction."""
    async with transaction(db.sessions) as session:
        for envelope in envelopes:
            await add_event(session, db.tables.outbox, envelope, topic, now=clock.now())


def settings_engine(monkeypatch: pytest.MonkeyPatch, url: str, **env: str) -> AsyncEngine:
    """hazard_api's engine as its settings build it from the environment: the database at
    `url`, and `HAZARD_API_<NAME>` set for each `NAME=value` of `env`."""
    monkeypatch.setenv("HAZARD_API_DATABASE_URL", url)
    for name, value in env.items():
        monkeypatch.setenv(f"HAZARD_API_{name}", value)
    return HazardSettings(secret_key="settings-engine-test-secret-0123456789").make_engine()
