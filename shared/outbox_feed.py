"""A producer's outbox, read by the consumers of other services: `GET /internal/outbox`.

The repair of lost events (shared.repair) compares what a producer recorded as sent with what
a consumer processed. Each producing service serves its outbox rows of one topic in id order
(`after` a row id, or `since` a time for a first look), to callers holding a service token
signed with the deployment's bearer key (`service_token`); people's tokens are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bearer import InvalidToken, decode_token, encode_token
from shared.clock import Clock

SERVICE_SCOPE = "outbox:read"
MAX_PAGE = 1000
UNAUTHENTICATED = "未登录或登录已过期，请重新登录"  # as every service says it
SERVICES_ONLY = "仅供服务之间核对事件使用（需要服务间令牌）"


@dataclass(frozen=True)
class FeedRow:
    seq: int  # the outbox row id: order per key, and the repair's cursor
    event_id: str
    key: str
    value: str  # the envelope's JSON, as the relay publishes it
    created_at: datetime
    sent_at: datetime | None


async def outbox_page(
    engine: AsyncEngine,
    outbox: Table,
    topic: str,
    *,
    after: int | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[FeedRow]:
    """Rows of `topic` with an id above `after` (or created at or after `since`), in id order."""
    o = outbox
    query = select(o.c.id, o.c.event_id, o.c.key, o.c.value, o.c.created_at, o.c.sent_at).where(
        o.c.topic == topic
    )
    if after is not None:
        query = query.where(o.c.id > after)
    if since is not None:
        query = query.where(o.c.created_at >= since)
    async with engine.connect() as conn:
        rows = (await conn.execute(query.order_by(o.c.id).limit(limit))).all()
    return [FeedRow(r.id, r.event_id, r.key, r.value, r.created_at, r.sent_at) for r in rows]


def service_token(*, service: str, secret_key: str, clock: Clock) -> str:
    """A short-lived token one service shows another to read its outbox."""
    claims = {"sub": f"service:{service}", "scope": SERVICE_SCOPE}
    return encode_token(claims, secret_key=secret_key, clock=clock, minutes=5)


class FeedRowOut(BaseModel):
    seq: int
    event_id: str
    key: str
    value: str
    created_at: AwareDatetime
    sent_at: AwareDatetime | None


class FeedPage(BaseModel):
    events: list[FeedRowOut]


_bearer = HTTPBearer(auto_error=False)


def outbox_router(
    engine: Callable[[], AsyncEngine], outbox: Table, *, secret_key: str, clock: Clock
) -> APIRouter:
    """`GET /internal/outbox`; `engine` is called per request (apps open theirs on start)."""
    router = APIRouter(tags=["internal"])

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> dict[str, Any]:
        try:
            if credentials is None:
                raise InvalidToken("no token")
            claims = decode_token(credentials.credentials, secret_key=secret_key, clock=clock)
        except InvalidToken:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                UNAUTHENTICATED,
                headers={"WWW-Authenticate": "Bearer"},
            ) from None
        if claims.get("scope") != SERVICE_SCOPE:
            raise HTTPException(status.HTTP_403_FORBIDDEN, SERVICES_ONLY)
        return claims

    @router.get(
        "/internal/outbox",
        response_model=FeedPage,
        summary="已发布事件（供其他服务核对补发）",
        # Not an annotation: `caller` is local, and annotations are read as module names.
        dependencies=[Depends(caller)],
        responses={401: {"description": UNAUTHENTICATED}, 403: {"description": SERVICES_ONLY}},
    )
    async def feed(
        topic: Annotated[str, Query(min_length=1, max_length=200)],
        after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
        since: Annotated[AwareDatetime | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 500,
    ) -> FeedPage:
        rows = await outbox_page(engine(), outbox, topic, after=after, since=since, limit=limit)
        return FeedPage(
            events=[
                FeedRowOut(
                    seq=r.seq,
                    event_id=r.event_id,
                    key=r.key,
                    value=r.value,
                    created_at=r.created_at,
                    sent_at=r.sent_at,
                )
                for r in rows
            ]
        )

    return router
