"""The repair of events a broker lost: each consumer reconciles with its producers' outboxes.

A broker can acknowledge a record and lose it (a restarted in-memory tansu, issue #17); the
relay then believes it delivered. So every `interval_s` a `OutboxReconciler` asks the producer of
each of its consumer's topics for the outbox rows after its cursor (`GET /internal/outbox`,
shared.outbox_feed), and feeds each row the consumer has not processed through the consumer's
own path (`ConsumerRunner.handle_record`: the processed-events check, retries, dead letters).

Only settled rows are compared: sent at least `settle_s` ago, so an event still on its way
through the broker is not pulled beside it (which would put a key's events out of order). The
cursor stops at the first row not settled yet; on start it looks back `window_s`. The cursor
lives in memory: after a restart the window is looked at again, which costs a query, not a
duplicate (the processed-events check). Repaired events are counted in
`duban_events_repaired_total` and logged.

`DUBAN_EVENT_REPAIR=off` turns every reconciler off, and the relay's check of acknowledgements
with it (shared.acks): the switch the fault suite uses to show what is lost without repair.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from aiokafka import ConsumerRecord
from prometheus_client import Counter
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.clock import Clock
from shared.consumer import ConsumerRunner
from shared.contract import TOPIC_PRODUCERS
from shared.loops import start_loop, stop_loop
from shared.outbox_feed import FeedRow, outbox_page, service_token

log = logging.getLogger(__name__)

REPAIRED = Counter(
    "duban_events_repaired",
    "Events pulled from the producer's outbox because the broker never delivered them",
    ["consumer", "topic"],
)
REPAIRED_PARTITION = -1  # the partition a repaired record says it came from (dead letters)


class OutboxFeed(Protocol):
    async def page(
        self, topic: str, *, after: int | None, since: datetime | None, limit: int
    ) -> list[FeedRow]: ...

    async def aclose(self) -> None: ...


class LocalFeed:
    """A producer's outbox read from its database (the producer's own endpoint, and tests)."""

    def __init__(self, engine: AsyncEngine, outbox: Table) -> None:
        self.engine, self.outbox = engine, outbox

    async def aclose(self) -> None:
        """Nothing to close: the engine is the service's own."""

    async def page(
        self, topic: str, *, after: int | None, since: datetime | None, limit: int
    ) -> list[FeedRow]:
        return await outbox_page(
            self.engine, self.outbox, topic, after=after, since=since, limit=limit
        )


class HttpFeed:
    """A producer's outbox through its `GET /internal/outbox`."""

    def __init__(
        self,
        base_url: str,
        token: Callable[[], str],
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s
        self.transport = transport  # tests: the producer's app in process
        # One client for the feed's life: a new one per page built an SSL context (~7 ms of
        # CPU) in the consumer's event loop every round, stalling an accident's event behind it.
        self._client: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def page(
        self, topic: str, *, after: int | None, since: datetime | None, limit: int
    ) -> list[FeedRow]:
        params: dict[str, str | int] = {"topic": topic, "limit": limit}
        if after is not None:
            params["after"] = after
        if since is not None:
            params["since"] = since.isoformat()
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport)
        response = await self._client.get(
            f"{self.base_url}/internal/outbox",
            params=params,
            headers={"Authorization": f"Bearer {self.token()}"},
        )
        response.raise_for_status()
        return [
            FeedRow(
                seq=int(e["seq"]),
                event_id=str(e["event_id"]),
                key=str(e["key"]),
                value=str(e["value"]),
                created_at=datetime.fromisoformat(e["created_at"]),
                sent_at=datetime.fromisoformat(e["sent_at"]) if e["sent_at"] else None,
            )
            for e in response.json()["events"]
        ]


class OutboxReconciler:
    def __init__(
        self,
        runner: ConsumerRunner,
        feeds: Mapping[str, OutboxFeed],
        *,
        clock: Clock,
        interval_s: float = 30.0,
        settle_s: float = 60.0,
        window_s: float = 3600.0,
        page_size: int = 500,
    ) -> None:
        self.runner = runner
        self.feeds = dict(feeds)
        self.clock = clock
        self.interval_s = interval_s
        self.settle = timedelta(seconds=settle_s)
        self.window = timedelta(seconds=window_s)
        self.page_size = page_size
        self.cursors: dict[str, int] = {}  # topic → the last outbox id compared
        self.repaired = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = start_loop(self._run(), name=f"repair-{self.runner.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await stop_loop(task)
        for feed in self.feeds.values():
            await feed.aclose()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a producer down: its events wait for the next round
                log.warning(
                    "repair %s: round failed, next in %gs: %r",
                    self.runner.name,
                    self.interval_s,
                    exc,
                )

    async def run_once(self) -> int:
        """Compare each topic once (all settled pages); how many events were repaired."""
        return sum([await self.reconcile(topic) for topic in self.feeds])

    async def reconcile(self, topic: str) -> int:
        feed = self.feeds[topic]
        now = self.clock.now()
        settled_before = now - self.settle
        repaired: list[str] = []
        while True:
            cursor = self.cursors.get(topic)
            since = now - self.window if cursor is None else None
            rows = await feed.page(topic, after=cursor, since=since, limit=self.page_size)
            settled = []
            for row in rows:
                if row.sent_at is None or row.sent_at > settled_before:
                    break  # not yet sent, or perhaps still on its way through the broker
                settled.append(row)
            if settled:
                known = await self.runner.processed_ids([r.event_id for r in settled])
                for row in settled:
                    if row.event_id not in known:
                        if not await self.runner.handle_record(_record(topic, row)):
                            return self._done(topic, repaired)  # the consumer is stopping
                        repaired.append(row.event_id)
                    self.cursors[topic] = row.seq
            if len(settled) < len(rows) or len(rows) < self.page_size:
                return self._done(topic, repaired)

    def _done(self, topic: str, repaired: list[str]) -> int:
        if repaired:
            self.repaired += len(repaired)
            REPAIRED.labels(self.runner.name, topic).inc(len(repaired))
            log.warning(
                "repair %s: %d event(s) of %s the broker never delivered, applied from the "
                "producer's outbox: %s",
                self.runner.name,
                len(repaired),
                topic,
                ", ".join(repaired[:10]) + (" …" if len(repaired) > 10 else ""),
            )
        return len(repaired)


def _record(topic: str, row: FeedRow) -> ConsumerRecord[bytes, bytes]:
    """The outbox row as the record the relay would have published."""
    key, value = row.key.encode(), row.value.encode()
    return ConsumerRecord(
        topic=topic,
        partition=REPAIRED_PARTITION,
        offset=row.seq,
        timestamp=int(row.created_at.timestamp() * 1000),
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=(),
    )


# ---------------------------------------------------------------------------- wiring
@dataclass(frozen=True)
class RepairSettings:
    """What a service needs to repair its consumers (from shared.settings.DubanSettings)."""

    enabled: bool
    interval_s: float
    settle_s: float
    window_s: float
    producer_urls: Mapping[str, str]  # producer service name → base URL


def reconciler_for(
    runner: ConsumerRunner,
    repair: RepairSettings,
    *,
    service: str,
    secret_key: str,
    clock: Clock,
) -> OutboxReconciler | None:
    """A reconciler over HTTP for `runner`'s topics; None when repair is off."""
    if not repair.enabled:
        return None

    def token() -> str:
        return service_token(service=service, secret_key=secret_key, clock=clock)

    feeds: dict[str, OutboxFeed] = {
        topic: HttpFeed(repair.producer_urls[str(TOPIC_PRODUCERS[topic])], token)
        for topic in runner.topics
    }
    return OutboxReconciler(
        runner,
        feeds,
        clock=clock,
        interval_s=repair.interval_s,
        settle_s=repair.settle_s,
        window_s=repair.window_s,
    )


def relay_options(repair: RepairSettings) -> dict[str, Any]:
    """The relay's part of the repair: check acknowledgements, republish after a reset."""
    return {"verify_acks": repair.enabled, "republish_window_s": repair.window_s}


async def start_reconcilers(
    runners: Sequence[ConsumerRunner],
    repair: RepairSettings,
    *,
    service: str,
    secret_key: str,
    clock: Clock,
) -> list[OutboxReconciler]:
    """A started reconciler per consumer (none when repair is off); stop them before the
    consumers."""
    started = []
    for runner in runners:
        reconciler = reconciler_for(
            runner, repair, service=service, secret_key=secret_key, clock=clock
        )
        if reconciler is not None:
            await reconciler.start()
            started.append(reconciler)
    return started
