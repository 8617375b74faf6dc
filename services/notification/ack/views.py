"""The acknowledgement page behind every notice's short link."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.notification.ack import flows
from services.notification.ack.tokens import AckClaim, TokenExpired, TokenInvalid, read_token
from services.notification.deps import RuntimeDep, SessionDep
from services.notification.messages.render import render
from shared.labels import beijing_time

router = APIRouter(tags=["acknowledgement"])

# The page answers a bad, expired or unknown link with a page saying so (HTML, not JSON).
_PAGES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"text/html": {}}}
    for status, description in (
        (400, "链接无效（不完整或已被改动）"),
        (404, "通知不存在"),
        (410, "链接已过期"),
    )
}


def _error(status: int, title: str, message: str) -> HTMLResponse:
    html = render("pages/ack_error", 1, "html", title=title, message=message)
    return HTMLResponse(html, status_code=status)


def _claim(runtime: RuntimeDep, token: str) -> AckClaim | HTMLResponse:
    if len(token) > 100:
        return _error(400, "链接无效", "该签收链接不完整或已被改动，无法使用。")
    try:
        return read_token(runtime.settings.secret_key, token, now=runtime.clock.now())
    except TokenExpired as exc:
        return _error(
            410, "链接已过期", f"该签收链接已于{beijing_time(exc.expires_at)}过期，无法再签收。"
        )
    except TokenInvalid:
        return _error(400, "链接无效", "该签收链接不完整或已被改动，无法使用。")


@router.get("/a/{token}", response_class=HTMLResponse, responses=_PAGES)
async def ack_page(token: str, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    claim = _claim(runtime, token)
    if isinstance(claim, HTMLResponse):
        return claim
    dispatch, ack = await flows.load(claim, session=session)
    if dispatch is None:
        return _error(404, "通知不存在", "未找到该签收链接对应的督办通知。")
    html = render(
        "pages/ack",
        1,
        "html",
        person_name=dispatch.person_name,
        items=dispatch.context["items"],
        acknowledged_at=beijing_time(ack.acknowledged_at) if ack else None,
        action_url=f"/a/{token}",
        expires=beijing_time(claim.expires_at),
    )
    return HTMLResponse(html)


@router.post("/a/{token}", response_class=HTMLResponse, responses=_PAGES)
async def ack_confirm(token: str, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    claim = _claim(runtime, token)
    if isinstance(claim, HTMLResponse):
        return claim
    dispatch, _ = await flows.load(claim, session=session)
    if dispatch is None:
        return _error(404, "通知不存在", "未找到该签收链接对应的督办通知。")
    ack, _created = await flows.acknowledge(
        claim, dispatch, session=session, now=runtime.clock.now()
    )
    html = render(
        "pages/ack_done",
        1,
        "html",
        person_name=dispatch.person_name,
        count=len(dispatch.context["items"]),
        acknowledged_at=beijing_time(ack.acknowledged_at),
    )
    return HTMLResponse(html)
