"""Replay and verification of a submission: the county office's two repairs and one proof.

A replay makes a dead-lettered (or any chosen) submission due again under its own webhook-id:
the next attempt is signed with the current secrets, the earlier attempts stay in the ledger,
and the retry window starts again. Verification rebuilds the body from the ledger's source
and compares it byte for byte with what was sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.exchange.builders import regenerate
from services.reporting.ledger.models import Endpoint, EndpointState, Submission, SubmissionState


class NotFound(LookupError):
    pass


async def find(session: AsyncSession, ref: str, *, lock: bool = False) -> Submission:
    """By webhook-id or ledger number."""
    query = select(Submission).where(
        or_(
            Submission.webhook_id == ref,
            Submission.seq == (int(ref) if ref.isdigit() and len(ref) <= 18 else -1),
        )
    )
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"上报台账中没有 {ref}")
    return row


async def replay(session: AsyncSession, ref: str, *, now: datetime) -> Submission:
    row = await find(session, ref, lock=True)
    row.state = SubmissionState.PENDING.value
    row.next_attempt_at = now
    row.window_started_at = now
    row.dead_at = None
    row.replays += 1
    return row


async def enable_endpoint(session: AsyncSession, endpoint_id: str, *, now: datetime) -> Endpoint:
    endpoint = await session.get(Endpoint, endpoint_id, with_for_update=True)
    if endpoint is None:
        raise NotFound(f"没有上报端点 {endpoint_id}")
    endpoint.state = EndpointState.ACTIVE.value
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.updated_at = now
    return endpoint


@dataclass(frozen=True)
class Verification:
    webhook_id: str
    identical: bool
    sent_sha256: str
    regenerated_sha256: str


def regenerate_any(source: dict[str, Any]) -> bytes:
    """The body a ledger source renders to, whoever built it."""
    if source.get("kind") == "quarterly-statistics":
        from services.reporting.quarterly.document import regenerate as quarterly

        return quarterly(source)
    return regenerate(source)


async def verify(session: AsyncSession, ref: str) -> Verification:
    row = await find(session, ref)
    regenerated = regenerate_any(row.source)
    return Verification(
        row.webhook_id,
        regenerated == row.body,
        hashlib.sha256(row.body).hexdigest(),
        hashlib.sha256(regenerated).hexdigest(),
    )
