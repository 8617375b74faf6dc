"""Consumer runner: at-least-once delivery made exactly-once in effect.

For each message: parse the envelope (unparsable → `<topic>.dlq` at once), then in one
database transaction check and record the event id in `processed_events` and run the handler.
A partition's records in one fetch share that transaction (shared.consumer_batches).
Offsets are committed only after those transactions committed (at-least-once, said
explicitly: never auto-commit). A handler that keeps failing is retried `max_retries` times
with backoff, then the message goes to the DLQ with its error and the runner goes on; a
`PermanentError` goes to the DLQ at once.

Infrastructure trouble is not the message's fault: when the database is unreachable
(`OSError`, SQLAlchemy `OperationalError`/`InterfaceError`/pool timeout) or the DLQ cannot be
written, the record is retried with capped backoff until it succeeds or the runner stops; its
offset is not committed meanwhile.

Rebalance-safe commits: a batch is handled and committed under a lock that the
partitions-revoked callback also takes, so a partition is handed over only after its handled
records are committed; records of partitions revoked before the batch started are dropped
(the next owner reads them again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from prometheus_client import Counter
from sqlalchemy import Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock, SystemClock
from shared.consumer_batches import Batches, Handler, HandlerFailed
from shared.contract import Envelope, dlq_topic
from shared.dlq import Record, dlq_record
from shared.loops import start_loop, stop_loop
from shared.processed import known_ids, note_dead_letter

log = logging.getLogger(__name__)

__all__ = ["ConsumerRunner", "Handler", "PermanentError"]


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)
MAX_BACKOFF = 5.0
# The fetch wait of a consumer on the path of an `immediate` step (an accident's texts): tansu
# answers a fetch only when its wait ends, so a record waits up to this long on every hop.
# Measured idle cost per consumer (python + tansu, % of one core): 3.7 at 20 ms, 6.5 at 5 ms,
# 13 at 2 ms; the other consumers keep the default.
URGENT_FETCH_MAX_WAIT_MS = 5

HANDLED = Counter("duban_consumer_handled", "Events applied by a handler", ["consumer", "topic"])
DUPLICATES = Counter(
    "duban_consumer_duplicates", "Events skipped as already processed", ["consumer", "topic"]
)
DEAD_LETTERED = Counter(
    "duban_consumer_dead_lettered", "Records sent to the DLQ", ["consumer", "topic"]
)
RETRIES = Counter("duban_consumer_retries", "Handler attempts that failed", ["consumer", "topic"])


class PermanentError(Exception):
    """Raised by a handler for an event that can never succeed: no retry, straight to DLQ."""


class _DrainOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock

    async def on_partitions_revoked(self, revoked: object) -> None:
        async with self._lock:  # the batch in hand is handled and committed first
            pass

    async def on_partitions_assigned(self, assigned: object) -> None:
        pass


class ConsumerRunner(Batches):
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
        max_batch: int = 100,
        auto_offset_reset: str = "earliest",
        stop_timeout: float = 10.0,
        fetch_max_wait_ms: int = 20,
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
        self.max_batch = max_batch
        self.auto_offset_reset = auto_offset_reset
        self.stop_timeout = stop_timeout
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()
        self.assigned = asyncio.Event()
        self.handled = 0
        self.skipped = 0  # duplicates: event id already processed
        self.dead_lettered = 0

    async def start(self) -> None:
        self._stopping.clear()
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all")
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset=self.auto_offset_reset,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(100, self.session_timeout_ms // 10),
            metadata_max_age_ms=5_000,
            # tansu answers a waiting fetch only when the wait ends, not when a record arrives,
            # so the wait is every hop's latency floor; Kafka pays only idle fetches for it.
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        self._consumer.subscribe(self.topics, listener=_DrainOnRevoke(self._lock))
        try:
            await self._consumer.start()
        except BaseException:
            await self._producer.stop()
            self._producer = self._consumer = None
            raise
        self._task = start_loop(self._run(), name=f"consumer-{self.name}")

    async def stop(self) -> None:
        """Finish the record in hand, commit what was handled, leave the group.

        A handler still running after `stop_timeout` s is cancelled: its transaction rolls
        back and its offset stays uncommitted, so the record is delivered again."""
        self._stopping.set()
        task, self._task = self._task, None
        await stop_loop(task, grace=self.stop_timeout)
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _pause(self, seconds: float) -> None:
        """Sleep that ends early when the runner is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _run(self) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        while not self._stopping.is_set():
            try:
                batches = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
            except Exception:
                log.exception("consumer %s: fetch failed", self.name)
                await self._pause(1.0)
                continue
            if consumer.assignment():
                self.assigned.set()
            if not batches:
                continue
            async with self._lock:
                owned = consumer.assignment()
                mine = {tp: recs for tp, recs in batches.items() if tp in owned}
                try:
                    # Partitions are independent; within one, records are handled in order.
                    done = await asyncio.gather(*(self._handle_partition(r) for r in mine.values()))
                except Exception:
                    log.exception("consumer %s: batch failed; reading it again", self.name)
                    for tp, recs in mine.items():
                        consumer.seek(tp, recs[0].offset)
                    await self._pause(1.0)
                    continue
                offsets = {tp: n for tp, n in zip(mine, done, strict=True) if n is not None}
                await self._commit(offsets)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except Exception as exc:  # a rebalance: the next owner re-reads, handlers are idempotent
            log.warning("consumer %s: offset commit failed: %s", self.name, exc)

    async def handle_record(self, record: Record, first_error: Exception | None = None) -> bool:
        """Apply or dead-letter one record (`first_error`: how a try in a batch failed); False
        if the runner stopped before it was done."""
        try:
            envelope = Envelope.parse_message(record.value)
            envelope.typed_payload()
        except ValueError as exc:
            return await self._dead_letter(record, f"unparsable event: {exc}")
        failures = 0
        outages = 0
        error = first_error
        while not self._stopping.is_set():
            if error is None:
                try:
                    applied = await self._apply(envelope)
                except Exception as exc:
                    error = exc
                else:
                    self._count(record, applied)
                    return True
            if isinstance(error, PermanentError):
                return await self._dead_letter(record, f"PermanentError: {error}")
            if isinstance(error, TRANSIENT_ERRORS):
                outages += 1
                log.warning("consumer %s: infrastructure error, will retry: %r", self.name, error)
                await self._pause(min(self.retry_backoff * 2 ** min(outages, 10), MAX_BACKOFF))
            else:
                failures += 1
                RETRIES.labels(self.name, record.topic).inc()
                if failures > self.max_retries:
                    log.error(
                        "consumer %s: giving up on %s", self.name, envelope.event_id, exc_info=error
                    )
                    return await self._dead_letter(record, f"{type(error).__name__}: {error}")
                await self._pause(min(self.retry_backoff * 2 ** (failures - 1), MAX_BACKOFF))
            error = None
        return False

    def _count(self, record: Record, applied: bool) -> None:
        self.handled += applied
        self.skipped += not applied
        (HANDLED if applied else DUPLICATES).labels(self.name, record.topic).inc()

    async def _apply(self, envelope: Envelope) -> bool:
        """Record the event id and run the handler in one transaction; False if seen before."""
        try:
            return (await self._apply_all([envelope]))[0]
        except HandlerFailed as failed:
            raise failed.error from None

    async def _dead_letter(self, record: Record, error: str) -> bool:
        assert self._producer is not None
        log.error(
            "consumer %s: %s[%s]@%s → DLQ: %s",
            self.name,
            record.topic,
            record.partition,
            record.offset,
            error,
        )
        value = dlq_record(record, error, self.clock.now().isoformat())
        attempt = 0
        while True:
            try:
                await self._producer.send_and_wait(dlq_topic(record.topic), value, key=record.key)
                break
            except Exception as exc:
                attempt += 1
                log.warning("consumer %s: DLQ write failed, will retry: %r", self.name, exc)
                if self._stopping.is_set():
                    return False
                await self._pause(min(self.retry_backoff * 2**attempt, MAX_BACKOFF))
        self.dead_lettered += 1
        DEAD_LETTERED.labels(self.name, record.topic).inc()
        await self._remember_dead_letter(record)
        return True

    async def _remember_dead_letter(self, record: Record) -> None:
        try:
            event_id = str(Envelope.parse_message(record.value).event_id)
        except ValueError:
            return  # no id to remember
        await note_dead_letter(
            self.sessionmaker, self.processed, self.name, event_id, self.clock.now()
        )

    async def processed_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` this consumer has applied or dead-lettered (for the repair)."""
        return await known_ids(self.sessionmaker, self.processed, self.name, event_ids)


async def start_all(runners: Sequence[ConsumerRunner]) -> None:
    """Start a service's consumers side by side: each start waits for its group's first join
    (about half the session timeout), so one after another they added up (reporting's three
    took 15 s of `duban run`'s start). If one fails, those started are stopped again."""
    results = await asyncio.gather(*(r.start() for r in runners), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        for runner, result in zip(runners, results, strict=True):
            if not isinstance(result, BaseException):
                await runner.stop()
        raise failed[0]
