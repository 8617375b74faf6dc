"""Watching each accident's upward report until the province acknowledges it.

The watch starts when the 快报 is received (`accident.reported`, consumed in its own group so
that it does not depend on the upward rules); its clock is hazard_api's (accidents/clocks.py:
2 hours from receipt). Each pass of the watch looks for the province's receipt in the ledger
(the accident's first report delivered with a 2xx answer); none when the clock runs out →
one `ack_overdue` alert, a county-office task to report by phone (then recorded by the API).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.acks.models import AccidentAck
from services.reporting.events import emit_alert
from services.reporting.ledger.models import Submission, SubmissionState
from shared.clock import Clock
from shared.contract import AccidentEvent, AccidentEventType, Envelope
from shared.labels import beijing_time

ACCIDENT_REPORT = "accident-report"
# 493号令 第十条: each level reports up within 2 hours of receiving the report — the same clock
# as hazard_api's accidents/clocks.py (services share no code but shared/).
UPWARD_REPORT = timedelta(hours=2)


async def on_accident_event(session: AsyncSession, envelope: Envelope) -> None:
    """A 快报 received starts the watch (once, however often the event arrives)."""
    if envelope.type != "accident.event":
        return
    payload = AccidentEvent.model_validate(envelope.payload)
    if payload.event != AccidentEventType.REPORTED:
        return
    facts = payload.facts
    if await session.get(AccidentAck, facts.accident_id) is not None:
        return
    session.add(
        AccidentAck(
            accident_id=facts.accident_id,
            code=facts.code,
            unit_name=facts.unit_name,
            accident_class=facts.accident_class.value,
            received_at=facts.received_at,
            due_at=facts.received_at + UPWARD_REPORT,
        )
    )


async def receipt_of(session: AsyncSession, accident_id: str) -> Submission | None:
    """The province's acknowledgement: the accident's first report, delivered with a receipt."""
    return await session.scalar(
        select(Submission)
        .where(
            Submission.item_key == f"accident:{accident_id}",
            Submission.document == ACCIDENT_REPORT,
            Submission.state == SubmissionState.DELIVERED.value,
            Submission.receipt.is_not(None),
        )
        .order_by(Submission.item_seq)
        .limit(1)
    )


class AckWatch:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker, self.clock = sessionmaker, clock

    async def tick(self) -> int:
        """One pass over the accidents not yet acknowledged; returns the alerts raised."""
        now, alerts = self.clock.now(), 0
        async with self.sessionmaker() as session, session.begin():
            waiting = await session.scalars(
                select(AccidentAck)
                .where(AccidentAck.acknowledged_at.is_(None))
                .order_by(AccidentAck.due_at)
                .with_for_update(skip_locked=True)
            )
            for ack in list(waiting):
                receipt = await receipt_of(session, ack.accident_id)
                if receipt is not None:
                    ack.acknowledged_at = receipt.delivered_at
                    ack.receipt_no, ack.submission_id = receipt.receipt_no, receipt.webhook_id
                elif ack.alerted_at is None and ack.phone_reported_at is None and now >= ack.due_at:
                    await self._alert(session, ack, now)
                    alerts += 1
        return alerts

    async def _alert(self, session: AsyncSession, ack: AccidentAck, now: datetime) -> None:
        ack.alerted_at = now
        await emit_alert(
            session,
            kind="ack_overdue",
            subject_id=ack.accident_id,
            detail=(
                f"事故{ack.code}（{ack.unit_name}）接报于{beijing_time(ack.received_at)}，"
                f"至{beijing_time(ack.due_at)}（2小时时限）仍未收到省级系统回执。"
                "请立即电话向上级报告，并在系统中登记电话报告情况。"
            ),
            now=now,
            item_key=f"accident:{ack.accident_id}",
            accident_id=ack.accident_id,
        )
