"""Signing in and out, and changing one's own password (through hazard_api)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import ClockDep, PostSession, SessionDep, SettingsDep, UpstreamDep
from services.portal.render import page
from services.portal.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    PageSession,
    csrf_ok,
    encode,
    new_csrf,
    set_cookie,
)
from services.portal.upstream import UpstreamError, message_of

router = APIRouter(include_in_schema=False)

REASONS = {
    "required": "请先登录。",
    "idle": "长时间未操作，已自动退出，请重新登录。",
    "refused": "登录已失效：账号可能已被停用或密码已修改，请重新登录。",
    "out": "您已安全退出。",
    "password": "密码已修改，请用新密码登录。",
}


def _login_page(
    request: Request, settings: SettingsDep, *, message: str = "", status_code: int = 200
) -> HTMLResponse:
    token = new_csrf()
    response = page(
        request, "login.html", status_code, login_csrf=token, message=message, session=None
    )
    set_cookie(response, LOGIN_CSRF_COOKIE, token, secure=settings.env == "production")
    return response


@router.get("/login")
async def login_form(request: Request, settings: SettingsDep, reason: str = "") -> HTMLResponse:
    return _login_page(request, settings, message=REASONS.get(reason, ""))


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    upstream: UpstreamDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=50)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_page(
            request, settings, message="页面已过期，请重新输入后登录。", status_code=403
        )
    if not username or not password:
        return _login_page(request, settings, message="请输入用户名和密码。", status_code=422)
    answer = await upstream.send(
        "hazard_api",
        "POST",
        "/auth/token",
        token=None,
        data={"username": username, "password": password},
    )
    if answer.status_code != 200:
        status = answer.status_code if answer.status_code in (401, 429) else 422
        return _login_page(request, settings, message=message_of(answer), status_code=status)
    token = answer.json()["access_token"]
    me = await upstream.call("hazard_api", "GET", "/auth/me", token=token)
    if me["role"] == "integration":
        return _login_page(request, settings, message="对接系统账号不能登录门户。", status_code=403)
    session = PageSession(
        token=token,
        csrf=new_csrf(),
        username=me["username"],
        role=me["role"],
        unit_id=me["unit_id"],
        last_seen=clock.now().timestamp(),
    )
    response = RedirectResponse("/", status_code=303)
    secure = settings.env == "production"
    set_cookie(response, COOKIE, encode(session, settings.secret_key), secure=secure)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, _session: PostSession) -> Response:
    request.state.signed_out = True
    response = RedirectResponse("/login?reason=out", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/password")
async def password_form(request: Request, _session: SessionDep) -> HTMLResponse:
    return page(request, "password.html", message="")


@router.post("/password")
async def change_password(
    request: Request,
    session: PostSession,
    upstream: UpstreamDep,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    new_password_again: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if new_password != new_password_again:
        return page(request, "password.html", 422, message="两次输入的新密码不一致。")
    body = {"current_password": current_password, "new_password": new_password}
    try:
        await upstream.call("hazard_api", "POST", "/auth/password", token=session.token, json=body)
    except UpstreamError as exc:
        return page(request, "password.html", exc.status, message=exc.message)
    # Every token issued before the change is refused now: sign in again with the new one.
    request.state.signed_out = True
    response = RedirectResponse("/login?reason=password", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
