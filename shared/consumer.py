"""Consumer runner: at-least-once delivery made exactly-once in effect.

For each message: parse the envelope (unparsable → `<topic>.dlq` at once), then in one
database transaction check and record the event id in `processed_events` and run the handler.
Offsets are committed only after those transactions committed. A handler that keeps failing
is retried a bounded number of times with backoff, then the message goes to the DLQ with its
error and the runner goes on.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock, SystemClock
from shared.contract import Envelope, dlq_topic

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler for an event that can never succeed: no retry, straight to DLQ."""


def dlq_record(record: ConsumerRecord[bytes, bytes], error: str, now: str) -> bytes:
    value: bytes = record.value or b""
    try:
        original: dict[str, str] = {"text": value.decode()}
    except UnicodeDecodeError:
        original = {"base64": base64.b64encode(value).decode()}
    return json.dumps(
        {
            "error": error,
            "source_topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key.decode(errors="replace") if record.key else None,
            "failed_at": now,
            "original": original,
        },
        ensure_ascii=False,
    ).encode()


class ConsumerRunner:
    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        bootstrap_servers: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        processed_events: Table,
        handler: Handler,
        clock: Clock | None = None,
        max_retries: int = 3,
        retry_backoff: float = 0.2,
        session_timeout_ms: int = 10_000,
        max_records: int = 200,
        auto_offset_reset: str = "earliest",
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self.bootstrap_servers = bootstrap_servers
        self.sessionmaker = sessionmaker
        self.processed = processed_events
        self.handler = handler
        self.clock = clock or SystemClock()
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.session_timeout_ms = session_timeout_ms
        self.max_records = max_records
        self.auto_offset_reset = auto_offset_reset
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.assigned = asyncio.Event()
        self.handled = 0
        self.dead_lettered = 0

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all")
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset=self.auto_offset_reset,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(100, self.session_timeout_ms // 10),
            metadata_max_age_ms=5_000,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.name}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _run(self) -> None:
        assert self._consumer is not None
        while not self._stopping.is_set():
            batches = await self._consumer.getmany(timeout_ms=200, max_records=self.max_records)
            if self._consumer.assignment():
                self.assigned.set()
            if not batches:
                continue
            # Partitions are independent; within one, messages are handled in order.
            await asyncio.gather(*(self._handle_partition(msgs) for msgs in batches.values()))
            offsets = {tp: msgs[-1].offset + 1 for tp, msgs in batches.items()}
            await self._commit(offsets)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        try:
            await self._consumer.commit(offsets)
        except Exception as exc:  # a rebalance: the next owner re-reads, handlers are idempotent
            log.warning("consumer %s: offset commit failed: %s", self.name, exc)

    async def _handle_partition(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            await self.handle_record(record)

    async def handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            envelope = Envelope.parse_message(record.value)
            envelope.typed_payload()
        except ValueError as exc:
            await self._dead_letter(record, f"unparsable event: {exc}")
            return
        attempt = 0
        while True:
            try:
                await self._apply(envelope)
                self.handled += 1
                return
            except PermanentError as exc:
                await self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                return
            except Exception as exc:
                attempt += 1
                if attempt > self.max_retries:
                    log.exception("consumer %s: giving up on %s", self.name, envelope.event_id)
                    await self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                    return
                await asyncio.sleep(self.retry_backoff * 2 ** (attempt - 1))

    async def _apply(self, envelope: Envelope) -> None:
        p = self.processed
        async with self.sessionmaker() as session, session.begin():
            seen = await session.scalar(
                select(p.c.event_id).where(
                    p.c.consumer == self.name, p.c.event_id == str(envelope.event_id)
                )
            )
            if seen is not None:
                return
            await session.execute(
                p.insert().values(
                    consumer=self.name,
                    event_id=str(envelope.event_id),
                    processed_at=self.clock.now(),
                )
            )
            await self.handler(session, envelope)

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        assert self._producer is not None
        log.error(
            "consumer %s: %s[%s]@%s → DLQ: %s",
            self.name,
            record.topic,
            record.partition,
            record.offset,
            error,
        )
        await self._producer.send_and_wait(
            dlq_topic(record.topic),
            dlq_record(record, error, self.clock.now().isoformat()),
            key=record.key,
        )
        self.dead_lettered += 1
