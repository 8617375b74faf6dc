"""HTTP for the portal's 通知记录 and 督办看板: notices (one per person and message, whatever
the channels) with their 签收 state, and 签收 by the signed-in person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.ack import flows
from services.notification.ack.models import Acknowledgement
from services.notification.callers import COUNTY_OFFICE, Caller, CallerDep, forbidden
from services.notification.delivery.models import Delivery, Dispatch
from services.notification.deps import RuntimeDep, SessionDep
from shared.problems import problems
from shared.text_fields import Blankable, Printable

router = APIRouter(prefix="/notices", tags=["notices"])

# Who told whom about a hazard is the board's matter: the county office and county leaders.
BOARD_ROLES = frozenset({COUNTY_OFFICE, "leader"})
MAX_HAZARDS = 500
NOT_FOUND = "未找到该通知"
# An id the database can be asked about (no control characters: PostgreSQL refuses NUL).
Id = Annotated[str, StringConstraints(min_length=1, max_length=100), Printable, Blankable]


class NoticeOut(BaseModel):
    dispatch_id: str
    person_id: str
    person_name: str
    chain_role: str | None
    kind: str
    urgency: str
    hazard_ids: list[str]
    summary: str  # the first hazard's code and description, as the message named it
    created_at: datetime
    channels: dict[str, str]  # channel → delivery status (sms: delivered, email: sent…)
    acknowledged_at: datetime | None
    acknowledged_via: str | None  # sms / email (the link) or portal


def _summary(dispatch: Dispatch) -> str:
    items = dispatch.context.get("items") or []
    first = items[0] if items and isinstance(items[0], dict) else {}
    text = " ".join(str(first[k]) for k in ("code", "description") if first.get(k))
    more = len(dispatch.hazard_ids) - 1
    return text + (f" 等{more + 1}项" if more > 0 else "")


async def _notices(
    session: AsyncSession, rows: Sequence[tuple[Dispatch, Acknowledgement | None]]
) -> list[NoticeOut]:
    ids = [d.id for d, _ in rows]
    channels: dict[str, dict[str, str]] = {i: {} for i in ids}
    if ids:
        for dispatch_id, channel, status in await session.execute(
            select(Delivery.dispatch_id, Delivery.channel, Delivery.status)
            .where(Delivery.dispatch_id.in_(ids))
            .order_by(Delivery.id)
        ):
            channels[dispatch_id][channel] = status
    return [
        NoticeOut(
            dispatch_id=d.id,
            person_id=d.person_id,
            person_name=d.person_name,
            chain_role=d.chain_role,
            kind=d.kind,
            urgency=d.urgency,
            hazard_ids=d.hazard_ids,
            summary=_summary(d),
            created_at=d.created_at,
            channels=channels[d.id],
            acknowledged_at=ack.acknowledged_at if ack else None,
            acknowledged_via=ack.channel if ack else None,
        )
        for d, ack in rows
    ]


def _person_filter(caller: Caller, person_id: str | None, hazard_ids: list[str]) -> str | None:
    """Everyone reads their own notices; hazards' notices and other people's are the board's."""
    if caller.role in BOARD_ROLES and (hazard_ids or person_id):
        return person_id
    if hazard_ids or person_id not in (None, caller.person_id):
        raise forbidden("只能查看发给本人的通知（按隐患、按人员查看限县安委办和县领导）")
    if caller.person_id is None:
        raise forbidden("当前账号未绑定人员，无权查看通知记录")
    return caller.person_id


@router.get(
    "",
    response_model=list[NoticeOut],
    summary="通知记录（含签收情况）",
    description=(
        "每条为发给一个人的一次通知（不论经几个渠道发出），附各渠道送达状态和签收时间。"
        "不带参数为本人收到的通知；`hazard_id`（可重复，最多 500 个）按隐患、`person_id` "
        "按人员查看，限县安委办和县领导。`unacknowledged=true` 只列未签收的。最新的在前。"
    ),
    responses=problems(401, 403),
)
async def list_notices(
    caller: CallerDep,
    session: SessionDep,
    hazard_id: Annotated[list[Id], Query(max_length=MAX_HAZARDS)] = [],  # noqa: B006
    person_id: Annotated[Id | None, Query()] = None,
    unacknowledged: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[NoticeOut]:
    person = _person_filter(caller, person_id, hazard_id)
    query = (
        select(Dispatch, Acknowledgement)
        .outerjoin(Acknowledgement, Acknowledgement.dispatch_id == Dispatch.id)
        .order_by(Dispatch.created_at.desc(), Dispatch.id)
    )
    if person is not None:
        query = query.where(Dispatch.person_id == person)
    if unacknowledged:
        query = query.where(Acknowledgement.dispatch_id.is_(None))
    if not hazard_id:
        rows = [(d, a) for d, a in (await session.execute(query.limit(limit))).all()]
    else:
        # Hazard ids live in the dispatch's JSON list (both databases): filtered here.
        wanted = set(hazard_id)
        rows = [
            (d, a) for d, a in (await session.execute(query)).all() if wanted & set(d.hazard_ids)
        ][:limit]
    return await _notices(session, rows)


@router.post(
    "/{dispatch_id}/ack",
    response_model=NoticeOut,
    summary="签收通知（本人）",
    description=(
        "登录用户签收发给本人的通知（与短信、邮件中的签收链接效果相同）；"
        "重复签收不改变首次签收时间。他人的通知返回 403。"
    ),
    responses=problems(401, 403, 404),
)
async def acknowledge(
    dispatch_id: Annotated[Id, Path(max_length=36)],
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> NoticeOut:
    dispatch = await session.get(Dispatch, dispatch_id)
    if dispatch is None:
        raise HTTPException(404, NOT_FOUND)
    if caller.person_id is None or caller.person_id != dispatch.person_id:
        raise forbidden("只能签收发给本人的通知")
    ack, _created = await flows.acknowledge_signed_in(
        dispatch, session=session, now=runtime.clock.now()
    )
    [notice] = await _notices(session, [(dispatch, ack)])
    return notice
