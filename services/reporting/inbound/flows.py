"""Receiving what the city and the province send down.

In order: the signature (Standard Webhooks, the inbound secrets; refused → 401, the attempt
recorded) → a message id seen before gets the answer it got then (a decision delivered twice
is applied once) → the body → a listing decision is applied in hazard_api through its API as
the reporting link's integration client (a hazard this county does not have: 404); a request
for information is recorded and becomes a county-office task (`reporting.alert`). hazard_api
unreachable: 503 and nothing recorded, so the sender's retry is applied later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.config import Settings
from services.reporting.events import emit_alert
from services.reporting.hazard_link import HazardApiRefused, HazardApiUnavailable, HazardLink
from services.reporting.inbound.messages import (
    INBOUND,
    LEVEL_NAMES,
    InformationRequest,
    ListingDecision,
)
from services.reporting.inbound.models import InboundMessage, InboundRejection
from services.reporting.signing import SignatureError, verify
from shared.clock import Clock

WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MAX_ID = 100


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Received:
    msg_id: str
    headers: Mapping[str, str]
    body: bytes
    at: datetime


def _field_errors(exc: ValidationError) -> Answer:
    errors = [
        {
            "field": ".".join(str(p) for p in e["loc"]),
            "message": "输入不合法",
            "detail": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    return Answer(422, {"detail": "报文内容有误", "errors": errors})


class Inbound:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        link: HazardLink,
    ) -> None:
        self.settings, self.sessionmaker = settings, sessionmaker
        self.clock, self.link = clock, link

    async def receive(self, headers: Mapping[str, str], body: bytes, remote: str | None) -> Answer:
        now = self.clock.now()
        try:
            msg_id = verify(self.settings.inbound_secrets, headers, body, now=int(now.timestamp()))
        except SignatureError as exc:
            await self._reject(headers, body, remote, str(exc), now)
            return Answer(401, {"detail": f"签名校验未通过：{exc}"})
        if len(msg_id) > MAX_ID:
            return Answer(422, {"detail": f"webhook-id 不能超过 {MAX_ID} 个字符"})
        earlier = await self._answer_of(msg_id)
        if earlier is not None:
            return earlier
        received = Received(msg_id, headers, body, now)
        try:
            message = INBOUND.validate_json(body)
        except ValidationError as exc:
            return await self._record(received, None, _field_errors(exc), outcome="refused")
        if isinstance(message, ListingDecision):
            return await self._decision(received, message)
        return await self._request(received, message)

    async def _answer_of(self, msg_id: str) -> Answer | None:
        async with self.sessionmaker() as session:
            row = await session.scalar(
                select(InboundMessage).where(InboundMessage.webhook_id == msg_id)
            )
        return None if row is None else Answer(row.status_code, row.answer)

    async def _decision(self, received: Received, message: ListingDecision) -> Answer:
        decision = {
            "decided_by": message.decided_by,
            "decision_id": received.msg_id,
            "notice_no": message.notice_no,
            "deadline_on": message.deadline_on.isoformat(),
            "issued_at": message.issued_at.isoformat() if message.issued_at else None,
            "body_name": message.body_name,
        }
        decision = {k: v for k, v in decision.items() if v is not None}
        try:
            hazard = await self.link.apply_listing_decision(message.hazard_id, decision)
        except HazardApiUnavailable as exc:
            return Answer(503, {"detail": f"暂时无法办理，请稍后重发：{exc}"})
        except HazardApiRefused as exc:
            detail = "本县无此隐患" if exc.status == 404 else exc.message
            answer = Answer(exc.status, {"detail": detail, "message_id": received.msg_id})
            return await self._record(received, message, answer, outcome="refused")
        answer = Answer(
            200,
            {
                "status": "applied",
                "message_id": received.msg_id,
                "hazard_id": message.hazard_id,
                "listing_level": hazard.get("listing_level"),
                "listing_notice_no": hazard.get("listing_notice_no"),
                "deadline_at": hazard.get("deadline_at"),
            },
        )
        return await self._record(received, message, answer, outcome="applied")

    async def _request(self, received: Received, message: InformationRequest) -> Answer:
        answer = Answer(202, {"status": "recorded", "message_id": received.msg_id})
        return await self._record(received, message, answer, outcome="recorded")

    async def _record(
        self,
        received: Received,
        message: ListingDecision | InformationRequest | None,
        answer: Answer,
        *,
        outcome: str,
    ) -> Answer:
        """Keep the message and its answer (with the request's task, in one transaction); a
        concurrent delivery of the same id that recorded first wins, and its answer is given."""
        try:
            async with self.sessionmaker() as session, session.begin():
                session.add(
                    InboundMessage(
                        webhook_id=received.msg_id,
                        received_at=received.at,
                        webhook_timestamp=int(received.headers.get("webhook-timestamp", "0")),
                        signature=received.headers.get("webhook-signature", ""),
                        body=received.body,
                        kind=message.type if message else None,
                        sender=_sender(message),
                        hazard_id=message.hazard_id if message else None,
                        outcome=outcome,
                        status_code=answer.status,
                        answer=answer.body,
                    )
                )
                if isinstance(message, InformationRequest):
                    await self._task(session, received, message)
        except IntegrityError:
            earlier = await self._answer_of(received.msg_id)
            if earlier is None:  # pragma: no cover - the unique row vanished in between
                raise
            return earlier
        return answer

    async def _task(
        self, session: AsyncSession, received: Received, message: InformationRequest
    ) -> None:
        who = LEVEL_NAMES[message.requested_by]
        due = f"，请于{message.reply_by:%Y年%m月%d日}前报送" if message.reply_by else ""
        item_key = (
            f"hazard:{message.hazard_id}"
            if message.hazard_id
            else (f"accident:{message.accident_id}" if message.accident_id else None)
        )
        await emit_alert(
            session,
            kind="info_requested",
            subject_id=received.msg_id,
            detail=f"{who}级要求报送情况（{message.request_no}）：{message.subject}。"
            f"{message.detail}{due}",
            now=received.at,
            item_key=item_key,
            hazard_ids=[message.hazard_id] if message.hazard_id else [],
            accident_id=message.accident_id,
        )

    async def _reject(
        self,
        headers: Mapping[str, str],
        body: bytes,
        remote: str | None,
        reason: str,
        now: datetime,
    ) -> None:
        async with self.sessionmaker() as session, session.begin():
            session.add(
                InboundRejection(
                    received_at=now,
                    claimed_webhook_id=(headers.get("webhook-id") or "")[:200] or None,
                    remote_addr=remote[:64] if remote else None,
                    reason=reason,
                    headers={k: headers[k][:2000] for k in WEBHOOK_HEADERS if k in headers},
                    body_sha256=hashlib.sha256(body).hexdigest(),
                    body_length=len(body),
                )
            )


def _sender(message: ListingDecision | InformationRequest | None) -> str | None:
    if isinstance(message, ListingDecision):
        return message.decided_by
    return message.requested_by if message is not None else None
