"""The delivery log over HTTP: who was told what, when, through which provider, and how."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from services.notification.ack.models import Acknowledgement
from services.notification.ack.notices import Id
from services.notification.callers import CallerDep, forbidden
from services.notification.delivery.models import Delivery, DeliveryAttempt, Dispatch
from services.notification.deps import SessionDep

router = APIRouter(prefix="/deliveries", tags=["delivery log"])


class AttemptOut(BaseModel):
    provider: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    detail: str | None
    provider_message_id: str | None


class DeliveryOut(BaseModel):
    dispatch_id: str
    person_id: str
    person_name: str
    channel: str
    address: str
    status: str
    kind: str
    hazard_ids: list[str]
    request_ids: list[str]
    created_at: datetime
    updated_at: datetime
    last_error: str | None
    acknowledged_at: datetime | None
    attempts: list[AttemptOut]


@router.get("")
async def list_deliveries(
    caller: CallerDep,
    session: SessionDep,
    hazard_id: Annotated[Id | None, Query()] = None,
    person_id: Annotated[Id | None, Query()] = None,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[DeliveryOut]:
    if not caller.sees_everyone:
        # Everyone else reads what was sent to them (the proof they were told).
        if caller.person_id is None:
            raise forbidden("当前账号未绑定人员，无权查看通知记录")
        if person_id not in (None, caller.person_id):
            raise forbidden("只能查看发给本人的通知记录")
        person_id = caller.person_id
    query = (
        select(Delivery, Dispatch, Acknowledgement.acknowledged_at)
        .join(Dispatch, Dispatch.id == Delivery.dispatch_id)
        .outerjoin(Acknowledgement, Acknowledgement.dispatch_id == Dispatch.id)
        .order_by(Delivery.id.desc())
    )
    if person_id is not None:
        query = query.where(Delivery.person_id == person_id)
    rows = list((await session.execute(query.limit(limit if hazard_id is None else 5000))).all())
    if hazard_id is not None:  # hazard ids live in the dispatch's JSON list
        rows = [r for r in rows if hazard_id in r[1].hazard_ids][:limit]
    ids = [r[0].id for r in rows]
    attempts: dict[int, list[AttemptOut]] = {i: [] for i in ids}
    if ids:
        for a in await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(ids))
            .order_by(DeliveryAttempt.id)
        ):
            attempts[a.delivery_id].append(AttemptOut.model_validate(a, from_attributes=True))
    return [
        DeliveryOut(
            dispatch_id=d.dispatch_id,
            person_id=d.person_id,
            person_name=dispatch.person_name,
            channel=d.channel,
            address=d.address,
            status=d.status,
            kind=dispatch.kind,
            hazard_ids=dispatch.hazard_ids,
            request_ids=dispatch.request_ids,
            created_at=d.created_at,
            updated_at=d.updated_at,
            last_error=d.last_error,
            acknowledged_at=acked,
            attempts=attempts[d.id],
        )
        for d, dispatch, acked in rows
    ]
