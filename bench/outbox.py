"""Outbox relay throughput against raw aiokafka produce of the same messages, in one run.

PostgreSQL (DUBAN_TEST_PG_DSN, default postgresql://postgres@127.0.0.1:5432/test; a fresh
database is created and dropped) and tansu (embedded, or KAFKA_BOOTSTRAP_SERVERS).
Both sides use acks=all and the same producer settings; the relay additionally claims rows
(FOR UPDATE SKIP LOCKED), checks key order and marks rows sent.
The relay checks each batch's acknowledgements with the broker (shared.acks) unless
`DUBAN_EVENT_REPAIR=off`.
Ends with `RESULT relay_rows_per_s=<n> raw_produce_per_s=<n> ratio=<x>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.broker import EmbeddedBroker
from shared.contract import Envelope, PersonUpserted, Producer
from shared.db import make_engine, make_metadata, make_sessionmaker
from shared.outbox import OutboxRelay, add_events, define_outbox_tables

ROWS = int(os.environ.get("BENCH_OUTBOX_ROWS", "20000"))
BATCH = int(os.environ.get("BENCH_OUTBOX_BATCH", "500"))
KEYS = 200
VERIFY_ACKS = os.environ.get("DUBAN_EVENT_REPAIR", "on") != "off"
PG_ADMIN_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def broker() -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    with EmbeddedBroker() as embedded:
        yield embedded.bootstrap_servers


def envelopes() -> list[Envelope]:
    now = datetime.now(UTC)
    return [
        Envelope.of(
            PersonUpserted(person_id=f"p{n}", name=f"值班人员{n}", mobile="13800138000"),
            aggregate_id=f"agg-{n % KEYS}",
            producer=Producer.HAZARD_API,
            occurred_at=now,
        )
        for n in range(ROWS)
    ]


def make_producer(bootstrap: str) -> AIOKafkaProducer:
    # As the relay makes its own (shared.relay): no linger.
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)


async def raw_produce(bootstrap: str, events: list[Envelope]) -> float:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up", key=b"w")
        started = time.perf_counter()
        futures = [
            await producer.send(topic, e.model_dump_json().encode(), key=e.aggregate_id.encode())
            for e in events
        ]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def relay_publish(bootstrap: str, url: str, events: list[Envelope]) -> float:
    metadata = make_metadata()
    tables = define_outbox_tables(metadata)
    engine = make_engine(url)
    topic = f"bench.relay.{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    for start in range(0, len(events), 1000):
        async with sessions() as session, session.begin():
            chunk = [(e, topic) for e in events[start : start + 1000]]
            await add_events(session, tables.outbox, chunk, now=now)
    producer = make_producer(bootstrap)
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up", key=b"w")
    relay = OutboxRelay(
        engine,
        tables.outbox,
        bootstrap,
        producer=producer,
        name="bench",
        batch_size=BATCH,
        verify_acks=VERIFY_ACKS,
    )
    try:
        started = time.perf_counter()
        await relay.start()
        while relay.published < len(events):  # noqa: ASYNC110  (the relay has no callback)
            await asyncio.sleep(0.005)
        return time.perf_counter() - started
    finally:
        await relay.stop()
        await producer.stop()
        await engine.dispose()


async def main() -> None:
    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        events = envelopes()
        with broker() as bootstrap:
            raw_s = await raw_produce(bootstrap, events)
            relay_s = await relay_publish(bootstrap, f"{base}/{name}", events)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    raw_rate, relay_rate = ROWS / raw_s, ROWS / relay_s
    print(f"rows={ROWS} keys={KEYS}")
    print(f"raw aiokafka produce: {raw_s:.2f} s  ({raw_rate:,.0f} msg/s)")
    print(f"outbox relay (PostgreSQL → tansu): {relay_s:.2f} s  ({relay_rate:,.0f} rows/s)")
    print(
        f"RESULT relay_rows_per_s={relay_rate:.0f} raw_produce_per_s={raw_rate:.0f} "
        f"ratio={relay_rate / raw_rate:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
