"""Applying `org.events` to the directory read model."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.directory import service
from shared.consumer import PermanentError
from shared.contract import (
    AccountChanged,
    Envelope,
    PersonUpserted,
    PostRemoved,
    PostUpserted,
    UnitUpserted,
)


async def apply_org_event(session: AsyncSession, envelope: Envelope) -> None:
    try:
        payload = envelope.typed_payload()
    except ValueError as exc:
        raise PermanentError(str(exc)) from exc
    match payload:
        case UnitUpserted():
            await service.upsert_unit(payload, session=session)
        case PersonUpserted():
            await service.upsert_person(payload, session=session)
        case PostUpserted():
            await service.upsert_post(payload, session=session)
        case PostRemoved():
            await service.remove_post(payload, session=session)
        case AccountChanged():
            await service.record_account(payload, session=session)
        case _:
            # Other org event types are not this read model's concern.
            return
