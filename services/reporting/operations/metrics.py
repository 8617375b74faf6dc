"""Prometheus metrics per endpoint: pending submissions, the oldest one's age, failures.

The gauges are read from the ledger by the delivery loop (at most every few seconds), so
they hold across restarts and replicas; failures count the attempts this process made.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.ledger.models import Submission, SubmissionState

PENDING = Gauge(
    "reporting_pending_submissions", "Submissions not yet delivered (incl. dead)", ["endpoint"]
)
OLDEST = Gauge(
    "reporting_oldest_pending_age_seconds",
    "Age of the oldest undelivered submission",
    ["endpoint"],
)
DEAD = Gauge(
    "reporting_dead_submissions", "Dead-lettered submissions awaiting replay", ["endpoint"]
)
FAILURES = Counter("reporting_delivery_failures", "Failed delivery attempts", ["endpoint"])

REFRESH_EVERY_S = 5.0
_last = [0.0]


async def refresh(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, *, force: bool = False
) -> None:
    if not force and time.monotonic() - _last[0] < REFRESH_EVERY_S:
        return
    _last[0] = time.monotonic()
    s = Submission
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(s.endpoint_id, s.state, func.count(), func.min(s.created_at))
                .where(s.state != SubmissionState.DELIVERED.value)
                .group_by(s.endpoint_id, s.state)
            )
        ).all()
    seen: dict[str, Any] = {}
    for endpoint, state, count, oldest in rows:
        entry = seen.setdefault(endpoint, {"pending": 0, "dead": 0, "oldest": None})
        entry["pending"] += count
        if state == SubmissionState.DEAD.value:
            entry["dead"] += count
        if oldest is not None and (entry["oldest"] is None or oldest < entry["oldest"]):
            entry["oldest"] = oldest
    for endpoint in set(seen) | {"province"}:
        entry = seen.get(endpoint, {"pending": 0, "dead": 0, "oldest": None})
        PENDING.labels(endpoint=endpoint).set(entry["pending"])
        DEAD.labels(endpoint=endpoint).set(entry["dead"])
        oldest = entry["oldest"]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        OLDEST.labels(endpoint=endpoint).set((now - oldest).total_seconds() if oldest else 0)
