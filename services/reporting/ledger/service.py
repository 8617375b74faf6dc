"""Writing to the ledger: enqueue submissions (in order per item), keep their files.

`enqueue_many` is the one way in, for the event consumer, the quarterly schedule and the bench
alike: a submission whose (endpoint, source_key, document) is already in the ledger is skipped,
so a redelivered event or a rerun schedule adds nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.ledger.models import (
    Endpoint,
    EndpointState,
    Submission,
    SubmissionFile,
    SubmissionItem,
    SubmissionState,
)

PROVINCE = "province"  # the one upward endpoint today; the ledger allows more


@dataclass(frozen=True)
class FileCopy:
    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class NewSubmission:
    document: str  # exchange document name, e.g. "hazard-listing"
    version: int
    item_key: str  # ordering key: "hazard:<id>", "accident:<id>", "quarterly:2026Q3"
    source_key: str  # what makes it unique: the event id, "quarterly:2026Q3" …
    source: dict[str, Any]  # what the body was built from (regeneration input)
    body: bytes
    files: Sequence[FileCopy] = field(default_factory=tuple)


def new_webhook_id() -> str:
    return "msg_" + uuid.uuid4().hex


async def ensure_endpoint(session: AsyncSession, endpoint_id: str, url: str, now: datetime) -> None:
    row = await session.get(Endpoint, endpoint_id)
    if row is None:
        session.add(Endpoint(id=endpoint_id, url=url, state=EndpointState.ACTIVE, updated_at=now))
    elif row.url != url:
        row.url, row.updated_at = url, now


async def enqueue_many(
    session: AsyncSession,
    items: Sequence[NewSubmission],
    *,
    now: datetime,
    endpoint_id: str = PROVINCE,
) -> list[str]:
    """Add the submissions not yet in the ledger, each after the earlier ones of its item (in
    the order given); returns their webhook ids. Runs in the caller's transaction."""
    if not items:
        return []
    keys = {(i.source_key, i.document) for i in items}
    known: set[tuple[str, str]] = {
        (row[0], row[1])
        for row in (
            await session.execute(
                select(Submission.source_key, Submission.document).where(
                    Submission.endpoint_id == endpoint_id,
                    tuple_(Submission.source_key, Submission.document).in_(list(keys)),
                )
            )
        ).all()
    }
    fresh: list[NewSubmission] = []
    for item in items:
        if (item.source_key, item.document) not in known:
            known.add((item.source_key, item.document))
            fresh.append(item)
    if not fresh:
        return []
    positions = await _allocate(session, endpoint_id, [i.item_key for i in fresh])
    rows = []
    ids = []
    for item, position in zip(fresh, positions, strict=True):
        webhook_id = new_webhook_id()
        ids.append(webhook_id)
        rows.append(
            {
                "webhook_id": webhook_id,
                "endpoint_id": endpoint_id,
                "item_key": item.item_key,
                "item_seq": position,
                "document": item.document,
                "version": item.version,
                "source_key": item.source_key,
                "source": item.source,
                "body": item.body,
                "body_sha256": hashlib.sha256(item.body).hexdigest(),
                "state": SubmissionState.PENDING.value,
                "attempt_count": 0,
                "next_attempt_at": now,
                "created_at": now,
                "replays": 0,
            }
        )
    await session.execute(insert(Submission), rows)
    with_files = [(i, w) for i, w in zip(fresh, ids, strict=True) if i.files]
    if with_files:
        seqs = dict(
            (
                await session.execute(
                    select(Submission.webhook_id, Submission.seq).where(
                        Submission.webhook_id.in_([w for _, w in with_files])
                    )
                )
            ).all()
        )
        await session.execute(
            insert(SubmissionFile),
            [
                {
                    "submission_seq": seqs[w],
                    "name": f.name,
                    "media_type": f.media_type,
                    "content": f.content,
                    "sha256": hashlib.sha256(f.content).hexdigest(),
                }
                for i, w in with_files
                for f in i.files
            ],
        )
    return ids


async def _allocate(session: AsyncSession, endpoint_id: str, item_keys: list[str]) -> list[int]:
    """The next positions of each item, in the order of `item_keys` (repeats allowed)."""
    distinct = sorted(set(item_keys))
    existing = {
        row.item_key: row
        for row in await session.scalars(
            select(SubmissionItem)
            .where(
                SubmissionItem.endpoint_id == endpoint_id,
                SubmissionItem.item_key.in_(distinct),
            )
            .with_for_update()
        )
    }
    missing = [k for k in distinct if k not in existing]
    if missing:
        await session.execute(
            insert(SubmissionItem),
            [
                {"endpoint_id": endpoint_id, "item_key": k, "last_seq": 0, "delivered_seq": 0}
                for k in missing
            ],
        )
        for row in await session.scalars(
            select(SubmissionItem)
            .where(
                SubmissionItem.endpoint_id == endpoint_id,
                SubmissionItem.item_key.in_(missing),
            )
            .with_for_update()
        ):
            existing[row.item_key] = row
    positions = []
    for key in item_keys:
        row = existing[key]
        row.last_seq += 1
        positions.append(row.last_seq)
    return positions
