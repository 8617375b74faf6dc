"""GET /feed/submissions: the changes feed for a provincial system that polls instead of
receiving pushes — what the county reported, in ledger order, page by page after a cursor.

The cursor is opaque (the ledger position of the page's last submission); the order is the
ledger's and never changes, so a poller that keeps its cursor sees each submission once. Only
submissions older than `feed_settle_s` are served: one written by a transaction that commits
late (a lower position appearing after a higher one) is not skipped. A submission's state
(delivered, its receipt) may move after it was served: the feed is what was reported; the
body is the exact bytes (the same `webhook-id` the pushes carry, for deduplication).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.reporting.deps import RuntimeDep, SessionDep
from services.reporting.ledger.models import Submission

router = APIRouter(tags=["feed"])
_bearer = HTTPBearer(auto_error=False)


async def feed_reader(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The province's poller: one of the configured feed tokens (compared in constant time)."""
    given = credentials.credentials.encode() if credentials else b""
    tokens = [t.encode() for t in runtime.settings.feed_tokens]
    if not given or not any(hmac.compare_digest(given, token) for token in tokens):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "未提供或提供了无效的拉取令牌",
            headers={"WWW-Authenticate": "Bearer"},
        )


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("s") or not raw[1:].isdigit():
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(422, "cursor 无效：请使用上一页返回的 next_cursor") from None


class FeedEntry(BaseModel):
    webhook_id: str = Field(description="消息编号（与推送时的 webhook-id 相同）")
    document: str
    version: int
    item_key: str
    created_at: str = Field(description="登记上报时间（ISO 8601，UTC）")
    state: str = Field(description="pending 待送达 / delivered 已送达 / dead 未送达")
    receipt_no: str | None
    body_sha256: str
    body: str = Field(description="上报文件原文（UTF-8 JSON，逐字节与推送相同）")


class FeedPage(BaseModel):
    items: list[FeedEntry]
    next_cursor: str | None = Field(description="下一页从此处开始；无更多时为本页末尾位置")
    has_more: bool


@router.get(
    "/feed/submissions",
    summary="上报变更拉取接口（游标分页，按台账顺序）",
    dependencies=[Depends(feed_reader)],
)
async def feed(
    session: SessionDep,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=40, description="上一页的 next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="每页条数")] = 100,
) -> FeedPage:
    after = decode_cursor(cursor) if cursor else 0
    limit = min(limit, runtime.settings.feed_page_max)
    settled = runtime.clock.now() - timedelta(seconds=runtime.settings.feed_settle_s)
    rows = list(
        await session.scalars(
            select(Submission)
            .where(Submission.seq > after, Submission.created_at <= settled)
            .order_by(Submission.seq)
            .limit(limit + 1)
        )
    )
    page = rows[:limit]
    items = [
        FeedEntry(
            webhook_id=s.webhook_id,
            document=s.document,
            version=s.version,
            item_key=s.item_key,
            created_at=s.created_at.isoformat(),
            state=s.state,
            receipt_no=s.receipt_no,
            body_sha256=s.body_sha256,
            body=s.body.decode("utf-8"),
        )
        for s in page
    ]
    last = page[-1].seq if page else after
    return FeedPage(items=items, next_cursor=encode_cursor(last), has_more=len(rows) > limit)
