"""Assemble a hazard's proof of service from the delivery log, receipts and acknowledgements."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.ack.flows import uses_of
from services.notification.ack.identity import (
    VERIFIED_BY_NAME,
    VERIFIED_BY_PHONE,
    VERIFIED_BY_SIGN_IN,
)
from services.notification.ack.models import Acknowledgement
from services.notification.delivery.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    Dispatch,
)
from services.notification.dossier.models import (
    ChainCheck,
    Dossier,
    HazardHeader,
    LinkUseOut,
    ServiceEntry,
)
from services.notification.intake.models import NotificationRequest
from services.notification.providers.base import mainland_number
from services.notification.receipts.models import Receipt
from services.notification.records.verify import verify
from shared.contract import DocumentRef, HazardFacts
from shared.hashchain import canonical, sha256_hex
from shared.labels import role_label

STATUS_LABELS = {
    "pending": "待发送",
    "sent": "已发送（未收到状态报告）",
    "delivered": "已送达",
    "failed": "发送失败",
    "dead": "发送失败（无其他渠道）",
}
_VERIFIED = {
    VERIFIED_BY_PHONE: "核对手机号码后四位",
    VERIFIED_BY_NAME: "核对姓名",
    VERIFIED_BY_SIGN_IN: "本人登录门户签收",
}


async def latest_facts(hazard_id: str, *, session: AsyncSession) -> HazardFacts | None:
    """The hazard as the last notice about it described it (scope and header)."""
    step = await session.scalar(
        select(NotificationRequest.step)
        .where(NotificationRequest.hazard_id == hazard_id)
        .order_by(NotificationRequest.received_at.desc())
        .limit(1)
    )
    return HazardFacts.model_validate(step["facts"]) if step else None


def mask(address: str) -> str:
    """A phone number as county documents print it (138****0009); an e-mail as it is."""
    digits = mainland_number(address)
    if digits.isdigit() and len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return address


def _item(dispatch: Dispatch, hazard_id: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = dispatch.context.get("items", [])
    return next((i for i in items if i.get("hazard_id") == hazard_id), items[0] if items else {})


def _post(item: dict[str, Any]) -> str:
    post = item.get("role_label") or role_label(item.get("role"))
    covering = item.get("covering_for_label")
    return f"{post}（代{covering}）" if covering else post


async def build(
    hazard_id: str, facts: HazardFacts, *, session: AsyncSession, now: datetime
) -> Dossier:
    dispatches = [
        d
        for d in await session.scalars(select(Dispatch).order_by(Dispatch.created_at, Dispatch.id))
        if hazard_id in d.hazard_ids
    ]
    ids = [d.id for d in dispatches]
    deliveries: dict[str, list[Delivery]] = defaultdict(list)
    attempts: dict[int, list[DeliveryAttempt]] = defaultdict(list)
    acks: dict[str, Acknowledgement] = {}
    if ids:
        for delivery in await session.scalars(
            select(Delivery).where(Delivery.dispatch_id.in_(ids)).order_by(Delivery.id)
        ):
            deliveries[delivery.dispatch_id].append(delivery)
        delivery_ids = [d.id for ds in deliveries.values() for d in ds]
        for attempt in await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
            .order_by(DeliveryAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
        acks = {
            a.dispatch_id: a
            for a in await session.scalars(
                select(Acknowledgement).where(Acknowledgement.dispatch_id.in_(ids))
            )
        }
    uses: dict[str, list[LinkUseOut]] = defaultdict(list)
    for use in await uses_of(ids, session=session):
        uses[use.dispatch_id].append(LinkUseOut.model_validate(use, from_attributes=True))
    receipts = await _receipts(attempts, session=session)
    documents = await _documents(dispatches, session=session)
    entries = []
    for dispatch in dispatches:
        item = _item(dispatch, hazard_id)
        ack = acks.get(dispatch.id)
        for delivery in deliveries[dispatch.id]:
            accepted = [a for a in attempts[delivery.id] if a.outcome == AttemptOutcome.ACCEPTED]
            receipt = receipts.get(
                (delivery.provider_message_id, mainland_number(delivery.address))
            )
            entries.append(
                ServiceEntry(
                    dispatch_id=dispatch.id,
                    delivery_id=delivery.id,
                    notified_at=dispatch.created_at,
                    person_id=dispatch.person_id,
                    person_name=dispatch.person_name,
                    post=_post(item),
                    matter=item.get("action_label", ""),
                    deadline=item.get("deadline_label", ""),
                    document=documents.get(item.get("request_id", "")),
                    channel=delivery.channel,
                    address=mask(delivery.address),
                    provider=delivery.provider,
                    provider_message_id=delivery.provider_message_id,
                    status=delivery.status,
                    status_label=STATUS_LABELS.get(delivery.status, delivery.status),
                    sent_at=accepted[-1].finished_at if accepted else None,
                    receipt_at=receipt.received_at if receipt else None,
                    receipt_code=receipt.code if receipt else None,
                    acknowledged_at=ack.acknowledged_at if ack else None,
                    acknowledged_by=_acknowledger(dispatch, ack),
                    link_uses=uses[dispatch.id],
                )
            )
    header = HazardHeader(
        hazard_id=hazard_id,
        code=facts.code or hazard_id,
        unit_name=facts.unit_name,
        description=facts.description,
    )
    body = {
        "hazard": header.model_dump(mode="json"),
        "entries": [e.model_dump(mode="json") for e in entries],
    }
    checked = await verify(session)
    return Dossier(
        hazard=header,
        entries=entries,
        content_sha256=sha256_hex(canonical(body)),
        chain=ChainCheck(ok=checked.ok, problem=checked.problem, reason=checked.reason),
        generated_at=now,
    )


def _acknowledger(dispatch: Dispatch, ack: Acknowledgement | None) -> str | None:
    if ack is None:
        return None
    how = _VERIFIED.get(ack.verified_by or "")
    return f"{dispatch.person_name}本人" + (f"（{how}）" if how else "")


async def _receipts(
    attempts: dict[int, list[DeliveryAttempt]], *, session: AsyncSession
) -> dict[tuple[str | None, str], Receipt]:
    message_ids = {a.provider_message_id for ats in attempts.values() for a in ats}
    message_ids.discard(None)
    if not message_ids:
        return {}
    rows = await session.scalars(
        select(Receipt).where(Receipt.provider_message_id.in_(message_ids)).order_by(Receipt.id)
    )
    return {(r.provider_message_id, mainland_number(r.phone)): r for r in rows}


async def _documents(
    dispatches: list[Dispatch], *, session: AsyncSession
) -> dict[str, DocumentRef]:
    request_ids = {r for d in dispatches for r in d.request_ids}
    if not request_ids:
        return {}
    rows = await session.execute(
        select(NotificationRequest.event_id, NotificationRequest.step).where(
            NotificationRequest.event_id.in_(request_ids)
        )
    )
    return {
        event_id: DocumentRef.model_validate(step["document"])
        for event_id, step in rows
        if isinstance(step, dict) and step.get("document")
    }
