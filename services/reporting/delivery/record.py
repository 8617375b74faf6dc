"""Writing a batch of answers to the ledger in one transaction: the attempts, the submissions'
new states, the items' delivered positions, a disabled endpoint, and the alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.delivery.outcomes import Outcome, receipt_of
from services.reporting.events import emit_alert
from services.reporting.ledger.models import (
    Attempt,
    Endpoint,
    EndpointState,
    Submission,
    SubmissionItem,
    SubmissionState,
)

if TYPE_CHECKING:
    from services.reporting.delivery.engine import Result

OUTCOME_STATE = {
    Outcome.DELIVERED: SubmissionState.DELIVERED,
    Outcome.RETRY: SubmissionState.PENDING,
    Outcome.GONE: SubmissionState.PENDING,  # waits for the endpoint to be enabled again
    Outcome.DEAD: SubmissionState.DEAD,
}


def _what_failed(r: Result) -> str:
    if r.answer.status_code is not None:
        return f"HTTP {r.answer.status_code}"
    return r.answer.error or "无应答"


def _submission_row(r: Result, now: datetime) -> dict[str, Any]:
    outcome = r.decision.outcome
    row: dict[str, Any] = {
        "seq": r.job.seq,
        "state": OUTCOME_STATE[outcome].value,
        "next_attempt_at": r.decision.next_attempt_at,
        "last_status": r.answer.status_code,
        "last_error": None if outcome is Outcome.DELIVERED else _what_failed(r),
    }
    if outcome is Outcome.DELIVERED:
        receipt = receipt_of(r.answer.body)
        number = receipt.get("receipt_no") if receipt else None
        row |= {
            "delivered_at": now,
            "receipt": receipt,
            "receipt_no": str(number)[:100] if number is not None else None,
        }
    elif outcome is Outcome.DEAD:
        row["dead_at"] = now
    return row


async def record_results(
    session: AsyncSession, results: Sequence[Result], *, now: datetime
) -> None:
    await session.execute(
        insert(Attempt),
        [
            {
                "submission_seq": r.job.seq,
                "attempt_no": r.job.attempt_no,
                "started_at": r.started_at,
                "url": r.job.url,
                "webhook_timestamp": r.timestamp,
                "signature": r.signature,
                "status_code": r.answer.status_code,
                "response_body": r.answer.body,
                "retry_after_s": r.decision.retry_after_s,
                "error": r.answer.error,
                "outcome": r.decision.outcome.value,
            }
            for r in results
        ],
    )
    await session.execute(update(Submission), [_submission_row(r, now) for r in results])
    delivered = [r for r in results if r.decision.outcome is Outcome.DELIVERED]
    if delivered:
        await session.execute(
            update(SubmissionItem),
            [
                {
                    "endpoint_id": r.job.endpoint_id,
                    "item_key": r.job.item_key,
                    "delivered_seq": r.job.item_seq,
                }
                for r in delivered
            ],
        )
    gone = {r.job.endpoint_id: r for r in results if r.decision.outcome is Outcome.GONE}
    for endpoint_id, r in gone.items():
        await _disable(session, endpoint_id, r, now)
    for r in results:
        if r.decision.outcome is Outcome.DEAD:
            await emit_alert(
                session,
                kind="dead_letter",
                subject_id=r.job.webhook_id,
                item_key=r.job.item_key,
                hazard_ids=[r.job.item_key.split(":", 1)[1]]
                if r.job.item_key.startswith("hazard:")
                else [],
                accident_id=r.job.item_key.split(":", 1)[1]
                if r.job.item_key.startswith("accident:")
                else None,
                detail=(
                    f"上报 {r.job.webhook_id}（{r.job.item_key}）重试期满仍未送达省级系统"
                    f"（最后一次：{_what_failed(r)}），已转入死信；请核实后重放或电话报告"
                ),
                now=now,
            )


async def _disable(session: AsyncSession, endpoint_id: str, r: Result, now: datetime) -> None:
    endpoint = await session.get(Endpoint, endpoint_id, with_for_update=True)
    if endpoint is None or endpoint.state == EndpointState.DISABLED.value:
        return
    endpoint.state = EndpointState.DISABLED.value
    endpoint.disabled_at = now
    endpoint.disabled_reason = f"省级系统答复 410 Gone（上报 {r.job.webhook_id}）"
    endpoint.updated_at = now
    await emit_alert(
        session,
        kind="endpoint_disabled",
        subject_id=endpoint_id,
        detail=(
            f"省级系统上报地址 {endpoint.url} 答复 410（已停用），上报已暂停；"
            "请与省级平台核实新的地址后重新启用"
        ),
        now=now,
    )
