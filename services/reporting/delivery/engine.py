"""The delivery loop: claim what is due, send it signed, write every answer to the ledger.

Only the head of each item is due (`item_seq = delivered_seq + 1`), so per item one request is
in flight at most and a later submission never overtakes an earlier one; across items up to
`delivery_concurrency` requests run at once over one keep-alive pool. A claim pushes
`next_attempt_at` past the request's timeout (a lease): a process killed mid-request leaves
the row due again later, and it goes out again under the same webhook-id. Answers are written
in groups, one transaction each; `run_until_idle` (and the running loop) keeps requests in
flight while it claims and records (delivery/pipeline.py), `run_once` does one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.config import Settings
from services.reporting.delivery.outcomes import Answer, Decision, Outcome, decide, no_answer
from services.reporting.delivery.pipeline import Pipeline
from services.reporting.delivery.record import record_results
from services.reporting.ledger.models import (
    Endpoint,
    EndpointState,
    Submission,
    SubmissionItem,
    SubmissionState,
)
from services.reporting.operations import metrics
from services.reporting.signing import signed_headers
from shared.clock import Clock
from shared.db import transaction

log = logging.getLogger(__name__)

RESPONSE_KEEP = 4000  # characters of a response body kept in the ledger
PASS_CLAIMS = 50  # claims per pass of the loop, between which the gauges are refreshed


@dataclass(frozen=True)
class Job:
    seq: int
    webhook_id: str
    endpoint_id: str
    item_key: str
    item_seq: int
    url: str
    body: bytes
    attempt_no: int
    window_started_at: datetime


@dataclass(frozen=True)
class Result:
    job: Job
    started_at: datetime
    timestamp: int
    signature: str
    answer: Answer
    decision: Decision


class Deliverer:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings, self.sessionmaker, self.clock = settings, sessionmaker, clock
        n = settings.delivery_concurrency
        self.client = httpx.AsyncClient(
            timeout=settings.delivery_timeout_s,
            limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
            transport=transport,
        )
        self.rng = random.Random()
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(n)

    def wake(self) -> None:
        self._wake.set()

    # ------------------------------------------------------------------ claim
    async def _claim(
        self, session: AsyncSession, now: datetime, *, limit: int | None = None
    ) -> list[Job]:
        s = Submission
        query = (
            select(
                s.seq,
                s.webhook_id,
                s.endpoint_id,
                s.item_key,
                s.item_seq,
                s.body,
                s.attempt_count,
                s.window_started_at,
                Endpoint.url,
            )
            .join(
                SubmissionItem,
                and_(
                    SubmissionItem.endpoint_id == s.endpoint_id,
                    SubmissionItem.item_key == s.item_key,
                    s.item_seq == SubmissionItem.delivered_seq + 1,
                ),
            )
            .join(Endpoint, Endpoint.id == s.endpoint_id)
            .where(
                s.state == SubmissionState.PENDING.value,
                s.next_attempt_at <= now,
                Endpoint.state == EndpointState.ACTIVE.value,
            )
            .order_by(s.next_attempt_at, s.seq)
            .limit(limit or self.settings.delivery_batch)
            .with_for_update(of=s, skip_locked=True)
        )
        rows = (await session.execute(query)).all()
        if not rows:
            return []
        lease = now + timedelta(seconds=self.settings.delivery_timeout_s + 60)
        await session.execute(
            update(Submission),
            [
                {
                    "seq": r.seq,
                    "next_attempt_at": lease,
                    "attempt_count": r.attempt_count + 1,
                    "window_started_at": r.window_started_at or now,
                }
                for r in rows
            ],
        )
        return [
            Job(
                r.seq,
                r.webhook_id,
                r.endpoint_id,
                r.item_key,
                r.item_seq,
                r.url,
                r.body,
                r.attempt_count + 1,
                r.window_started_at or now,
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ send
    async def _send(self, job: Job) -> Result:
        async with self._slots:
            started = self.clock.now()
            timestamp = int(started.timestamp())
            headers = signed_headers(
                self.settings.current_secrets, job.webhook_id, timestamp, job.body
            )
            try:
                response = await self.client.post(
                    job.url, content=job.body, headers=headers.as_dict()
                )
                answer = Answer(
                    response.status_code,
                    response.text[:RESPONSE_KEEP],
                    response.headers.get("retry-after"),
                )
            except httpx.HTTPError as exc:
                log.warning("push %s to %s: no answer: %r", job.webhook_id, job.url, exc)
                answer = Answer(None, error=no_answer(exc))
        now = self.clock.now()
        decision = decide(
            self.settings,
            answer,
            attempt_no=job.attempt_no,
            window_started_at=job.window_started_at,
            now=now,
            rng=self.rng,
        )
        return Result(job, started, timestamp, headers.signature, answer, decision)

    # ------------------------------------------------------------------ the loop
    async def record(self, results: Sequence[Result]) -> None:
        async with transaction(self.sessionmaker) as session:
            await record_results(session, results, now=self.clock.now())
        for r in results:
            if r.decision.outcome is not Outcome.DELIVERED:
                metrics.FAILURES.labels(endpoint=r.job.endpoint_id).inc()

    async def run_once(self) -> int:
        """Claim one batch, send it, record it; the number of requests made."""
        async with transaction(self.sessionmaker) as session:
            jobs = await self._claim(session, self.clock.now())
        if not jobs:
            return 0
        await self.record(await asyncio.gather(*(self._send(job) for job in jobs)))
        return len(jobs)

    async def run_until_idle(self, max_rounds: int = 1000, max_requests: int | None = None) -> int:
        """Sends until nothing is due, with requests kept in flight across claims (at most
        `max_rounds` claims and `max_requests` requests); the number of requests made."""
        return await Pipeline(self, max_claims=max_rounds, max_requests=max_requests).run()

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.run_until_idle(max_rounds=PASS_CLAIMS)
                await metrics.refresh(self.sessionmaker, self.clock.now())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery round failed; retrying")
                busy = 0
            if busy:
                continue
            self._wake.clear()
            sleep = asyncio.ensure_future(self.clock.sleep(self.settings.delivery_poll_s))
            wake = asyncio.ensure_future(self._wake.wait())
            _, pending = await asyncio.wait({sleep, wake}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def aclose(self) -> None:
        await self.client.aclose()
