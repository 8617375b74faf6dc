"""Acknowledgement (签收): read the signed link, show the notice, record the confirmation by
the recipient, or the use of the link by somebody else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.ack.identity import VERIFIED_BY_SIGN_IN, Identification
from services.notification.ack.models import Acknowledgement, LinkUse
from services.notification.ack.tokens import AckClaim
from services.notification.delivery.models import Delivery, Dispatch
from services.notification.events import emit_changed, flush_events
from shared.contract import Channel, NotificationStatus

# Acknowledgement.channel of a 签收 given in the department portal (not through a link).
PORTAL = "portal"


async def load(
    claim: AckClaim, *, session: AsyncSession
) -> tuple[Dispatch | None, Acknowledgement | None]:
    dispatch = await session.get(Dispatch, claim.dispatch_id)
    ack = await session.get(Acknowledgement, claim.dispatch_id) if dispatch else None
    return dispatch, ack


async def acknowledge(
    claim: AckClaim,
    dispatch: Dispatch,
    *,
    session: AsyncSession,
    now: datetime,
    verified_by: str,
) -> tuple[Acknowledgement, bool]:
    """Records the recipient's acknowledgement once; a second confirmation changes nothing."""
    return await record(
        dispatch,
        channel=claim.channel,
        via=claim.channel.value,
        session=session,
        now=now,
        verified_by=verified_by,
    )


async def acknowledge_signed_in(
    dispatch: Dispatch, *, session: AsyncSession, now: datetime
) -> tuple[Acknowledgement, bool]:
    """签收 by the signed-in person in the portal: the event names the notice (channel) they
    were sent first, the acknowledgement row says it was given in the portal."""
    sent = await session.scalar(
        select(Delivery.channel).where(Delivery.dispatch_id == dispatch.id).order_by(Delivery.id)
    )
    channel = Channel(sent) if sent and sent in Channel._value2member_map_ else Channel.SMS
    return await record(
        dispatch,
        channel=channel,
        via=PORTAL,
        session=session,
        now=now,
        verified_by=VERIFIED_BY_SIGN_IN,
    )


async def record(
    dispatch: Dispatch,
    *,
    channel: Channel,
    via: str,
    session: AsyncSession,
    now: datetime,
    verified_by: str,
) -> tuple[Acknowledgement, bool]:
    existing = await session.get(Acknowledgement, dispatch.id, with_for_update=True)
    if existing is not None:
        return existing, False
    ack = Acknowledgement(
        dispatch_id=dispatch.id,
        person_id=dispatch.person_id,
        channel=via,
        acknowledged_at=now,
        verified_by=verified_by,
    )
    session.add(ack)
    await session.flush()
    await emit_changed(
        session,
        dispatch_id=dispatch.id,
        person_id=dispatch.person_id,
        person_name=dispatch.person_name,
        items=dispatch.context["items"],
        channel=channel,
        provider=None,
        status=NotificationStatus.ACKNOWLEDGED,
        now=now,
    )
    await flush_events(session, now=now)
    return ack, True


async def record_use(
    claim: AckClaim,
    dispatch: Dispatch,
    ident: Identification,
    *,
    session: AsyncSession,
    now: datetime,
) -> LinkUse:
    """Somebody else used the link (or the digits were wrong): kept, not an acknowledgement."""
    use = LinkUse(
        dispatch_id=dispatch.id,
        channel=claim.channel.value,
        name=ident.name or "（未留姓名）",
        unit=ident.unit,
        claimed_recipient=ident.recipient,
        used_at=now,
    )
    session.add(use)
    await session.flush()
    return use


async def uses_of(dispatch_ids: list[str], *, session: AsyncSession) -> list[LinkUse]:
    if not dispatch_ids:
        return []
    rows = await session.scalars(
        select(LinkUse).where(LinkUse.dispatch_id.in_(dispatch_ids)).order_by(LinkUse.id)
    )
    return list(rows)
