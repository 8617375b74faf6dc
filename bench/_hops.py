"""The floor under any chain of two events through the broker: two raw aiokafka hops."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def broker_two_hops(bootstrap: str, rate: float, count: int) -> list[float]:
    """Latency (ms): produce to A, consume, produce to B, consume (acks=all, as the outbox)."""
    a, b = f"bench.a.{uuid.uuid4().hex[:6]}", f"bench.b.{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    hop = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await producer.start()
    await hop.start()
    await producer.send_and_wait(a, b"warmup")
    await producer.send_and_wait(b, b"warmup")
    consumers = []
    for topic in (a, b):
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"bench-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=600,
            fetch_max_wait_ms=10,
        )
        await consumer.start()
        consumers.append(consumer)
    first, second = consumers
    latencies: list[float] = []
    done = asyncio.Event()

    async def relay() -> None:
        while True:
            batches = await first.getmany(timeout_ms=100)
            sent = [
                await hop.send(b, msg.value, key=msg.key)
                for msgs in batches.values()
                for msg in msgs
                if msg.value != b"warmup"
            ]
            await asyncio.gather(*sent)

    async def sink() -> None:
        async for msg in second:
            if msg.value is None or msg.value == b"warmup":
                continue
            latencies.append((time.time() - float(msg.value.decode())) * 1000)
            if len(latencies) >= count:
                done.set()

    tasks = [asyncio.create_task(relay()), asyncio.create_task(sink())]
    while not (first.assignment() and second.assignment()):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await producer.send(a, str(time.time()).encode(), key=str(i).encode())
    await asyncio.wait_for(done.wait(), 120)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for client in (first, second, producer, hop):
        await client.stop()
    return latencies
