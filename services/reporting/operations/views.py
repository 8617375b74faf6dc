"""The deliveries view, replay, verification and the endpoint switch over HTTP (county office)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select

from services.reporting.callers import CountyOfficeDep
from services.reporting.deps import RuntimeDep, SessionDep
from services.reporting.exchange.builders import item_ref
from services.reporting.ledger.models import Attempt, Submission, SubmissionState
from services.reporting.operations import replay as ops

router = APIRouter(tags=["submissions ledger"])


class AttemptOut(BaseModel):
    attempt_no: int
    started_at: datetime
    url: str
    webhook_timestamp: int
    signature: str
    status_code: int | None
    response_body: str | None
    retry_after_s: float | None
    error: str | None
    outcome: str


class SubmissionOut(BaseModel):
    seq: int
    webhook_id: str
    endpoint_id: str
    item_key: str
    item_seq: int
    document: str
    version: int
    state: str
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None
    last_status: int | None
    last_error: str | None
    receipt_no: str | None
    receipt: dict[str, Any] | None
    replays: int
    body_sha256: str
    # The hazard's or accident's code, the document's 文号: what a person searches by.
    item_ref: str | None = None
    attempts: list[AttemptOut] = []


class VerificationOut(BaseModel):
    webhook_id: str
    identical: bool
    sent_sha256: str
    regenerated_sha256: str


def _not_found(exc: ops.NotFound) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))


@router.get("/submissions")
async def list_submissions(
    _: CountyOfficeDep,
    session: SessionDep,
    state: SubmissionState | None = None,
    item_key: str | None = Query(default=None, max_length=120),
    document: str | None = Query(default=None, max_length=60),
    endpoint_id: str | None = Query(default=None, max_length=40),
    since: datetime | None = Query(  # noqa: B008 (FastAPI's way to describe a query field)
        default=None, description="created at or after (ISO 8601)"
    ),
    before_seq: int | None = Query(default=None, ge=1, description="page: older than this seq"),
    limit: int = Query(default=100, ge=1, le=500),
) -> list[SubmissionOut]:
    """上报台账：每次上报的状态、回执与每一次尝试，新的在前。"""
    query = select(Submission).order_by(Submission.seq.desc()).limit(limit)
    for column, value in (
        (Submission.state, state.value if state else None),
        (Submission.item_key, item_key),
        (Submission.document, document),
        (Submission.endpoint_id, endpoint_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        if since.tzinfo is None:
            raise HTTPException(422, "since 须带时区，例如 2026-03-09T09:30:00+08:00")
        query = query.where(Submission.created_at >= since)
    if before_seq is not None:
        query = query.where(Submission.seq < before_seq)
    rows = list(await session.scalars(query))
    attempts: dict[int, list[AttemptOut]] = {r.seq: [] for r in rows}
    if rows:
        for a in await session.scalars(
            select(Attempt).where(Attempt.submission_seq.in_(attempts)).order_by(Attempt.id)
        ):
            attempts[a.submission_seq].append(AttemptOut.model_validate(a, from_attributes=True))
    return [
        SubmissionOut.model_validate(r, from_attributes=True).model_copy(
            update={"attempts": attempts[r.seq], "item_ref": item_ref(r.source)}
        )
        for r in rows
    ]


@router.post("/submissions/{ref}/replay")
async def replay_submission(
    ref: str, _: CountyOfficeDep, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """重放：以同一 webhook-id、当前密钥重新签名发送，保留以往尝试记录。"""
    try:
        row = await ops.replay(session, ref, now=runtime.clock.now())
    except ops.NotFound as exc:
        raise _not_found(exc) from None
    runtime.deliverer.wake()
    return {"webhook_id": row.webhook_id, "state": row.state, "replays": row.replays}


@router.get("/submissions/{ref}/verify")
async def verify_submission(ref: str, _: CountyOfficeDep, session: SessionDep) -> VerificationOut:
    """按台账中的来源重新生成报文，并与当时发送的字节逐字节比对。"""
    try:
        result = await ops.verify(session, ref)
    except ops.NotFound as exc:
        raise _not_found(exc) from None
    return VerificationOut(**result.__dict__)


@router.post("/endpoints/{endpoint_id}/enable")
async def enable_endpoint(
    endpoint_id: str, _: CountyOfficeDep, session: SessionDep, runtime: RuntimeDep
) -> dict[str, str]:
    """重新启用因 410 停用的上报地址（核实省级平台地址之后）。"""
    try:
        endpoint = await ops.enable_endpoint(session, endpoint_id, now=runtime.clock.now())
    except ops.NotFound as exc:
        raise _not_found(exc) from None
    runtime.deliverer.wake()
    return {"endpoint_id": endpoint.id, "state": endpoint.state}
