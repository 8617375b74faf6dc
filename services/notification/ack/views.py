"""The acknowledgement page behind every notice's short link."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.notification.ack import flows, identity
from services.notification.ack.models import Acknowledgement
from services.notification.ack.tokens import AckClaim, TokenExpired, TokenInvalid, read_token
from services.notification.delivery.models import Dispatch
from services.notification.deps import RuntimeDep, SessionDep
from services.notification.messages.render import render, shown
from shared.labels import beijing_time

router = APIRouter(tags=["acknowledgement"])

# The page answers a bad, expired or unknown link with a page saying so (HTML, not JSON).
_PAGES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"text/html": {}}}
    for status, description in (
        (400, "链接无效（不完整或已被改动）"),
        (404, "通知不存在"),
        (403, "手机号码后四位不符或输错次数过多"),
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
    return _page(token, claim, dispatch, ack)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and len(v) <= 200}


def _page(
    token: str,
    claim: AckClaim,
    dispatch: Dispatch,
    ack: Acknowledgement | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    html = render(
        "pages/ack",
        1,
        "html",
        person_name=dispatch.person_name,
        items=shown(dispatch.context["items"]),
        acknowledged_at=beijing_time(ack.acknowledged_at) if ack else None,
        action_url=f"/a/{token}",
        expires=beijing_time(claim.expires_at),
        error=error,
    )
    return HTMLResponse(html, status_code=status)


@router.post("/a/{token}", response_class=HTMLResponse, responses=_PAGES)
async def ack_confirm(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    """本人签收 with the last digits of the mobile, or 他人查看 with a name (recorded only)."""
    claim = _claim(runtime, token)
    if isinstance(claim, HTMLResponse):
        return claim
    dispatch, existing = await flows.load(claim, session=session)
    if dispatch is None:
        return _error(404, "通知不存在", "未找到该签收链接对应的督办通知。")
    try:
        ident = identity.read_form(await _form(request))
    except identity.IdentificationInvalid as exc:
        return _page(token, claim, dispatch, existing, error=str(exc), status=400)
    now = runtime.clock.now()
    if not ident.recipient:
        await flows.record_use(claim, dispatch, ident, session=session, now=now)
        return _done("pages/ack_other", dispatch, viewer=ident.name)
    phones = await identity.recipient_phones(dispatch, session=session)
    if phones and not ident.phone_tail:
        return _page(token, claim, dispatch, existing, error=_TAIL_NEEDED, status=400)
    if await identity.wrong_tries(dispatch, session=session) >= identity.MAX_WRONG:
        return _error(403, "无法签收", _TOO_MANY)
    how = identity.verified(ident, dispatch, phones)
    if how is None:
        await flows.record_use(claim, dispatch, ident, session=session, now=now)
        return _page(token, claim, dispatch, existing, error=_NOT_RECIPIENT, status=403)
    ack, _created = await flows.acknowledge(
        claim, dispatch, session=session, now=now, verified_by=how
    )
    return _done(
        "pages/ack_done",
        dispatch,
        count=len(shown(dispatch.context["items"])),
        acknowledged_at=beijing_time(ack.acknowledged_at),
    )


_TAIL_NEEDED = "请输入接收本通知的手机号码后四位（4位数字）"
_NOT_RECIPIENT = (
    "手机号码后四位与接收人不符，未签收。本次使用已记录；如您不是接收人本人，请选择“他人代为查看”。"
)
_TOO_MANY = "手机号码后四位输错次数过多，该链接已不能用于本人签收，请联系县安委办。"


def _done(template: str, dispatch: Dispatch, **values: object) -> HTMLResponse:
    return HTMLResponse(render(template, 1, "html", person_name=dispatch.person_name, **values))
