"""`POST /auth/token` (OAuth2 password flow), `GET /auth/me`, and user accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from services.hazard_api.auth import throttle
from services.hazard_api.auth.deps import CountyOffice, CurrentUser
from services.hazard_api.auth.models import TokenOut, User, UserIn, UserOut, UserPatch
from services.hazard_api.auth.service import (
    AuthUser,
    authenticate,
    create_user,
    grant_scopes,
    issue_token,
    update_user,
    user_out,
)
from services.hazard_api.config import Settings
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.fields import IdPath
from services.hazard_api.unit_of_work import Write

router = APIRouter(tags=["auth"])


def _limits(settings: Settings) -> throttle.Limits:
    return throttle.Limits(
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        window=timedelta(minutes=settings.login_failure_window_minutes),
    )


def _too_many(seconds: int) -> HTTPException:
    minutes = max(1, (seconds + 59) // 60)
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"登录失败次数过多，请约 {minutes} 分钟后再试",
        headers={"Retry-After": str(max(1, seconds))},
    )


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={
        401: {"description": "用户名或密码错误"},
        429: {"description": "登录失败次数过多（按账号和客户端地址限制），见 Retry-After"},
    },
)
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> TokenOut:
    readable = form.username.isprintable() and len(form.username) <= 50
    keys = throttle.keys(
        form.username if readable else "?", request.client.host if request.client else None
    )
    limits = _limits(settings)
    # Checked before the password: during a block the right password is refused as well.
    wait = await throttle.blocked_for(session, keys, limits=limits, now=clock.now())
    if wait is not None:
        raise _too_many(wait)
    user = await authenticate(form.username, form.password, session=session) if readable else None
    if user is None:
        await throttle.record_failure(session, keys, limits=limits, now=clock.now())
        await session.commit()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "用户名或密码错误",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await throttle.clear_account(session, keys[0])
    await session.commit()
    scopes = grant_scopes(user, form.scopes)
    minutes = settings.access_token_minutes
    token = issue_token(user, scopes, secret_key=settings.secret_key, clock=clock, minutes=minutes)
    return TokenOut(access_token=token, expires_in=minutes * 60, scope=" ".join(scopes))


@router.get("/auth/me")
async def me(user: CurrentUser) -> AuthUser:
    return user


@router.post("/users", status_code=201)
async def add_user(data: UserIn, office: CountyOffice, write: Write, clock: ClockDep) -> UserOut:
    user = await write(
        lambda session: create_user(data, session=session, clock=clock, actor=office)
    )
    return user_out(user)


@router.get("/users")
async def list_users(_office: CountyOffice, session: SessionDep) -> list[UserOut]:
    users = await session.scalars(select(User).order_by(User.username))
    return [user_out(u) for u in users]


@router.patch("/users/{user_id}")
async def change_user(
    user_id: IdPath, patch: UserPatch, office: CountyOffice, write: Write, clock: ClockDep
) -> UserOut:
    user = await write(
        lambda session: update_user(user_id, patch, session=session, clock=clock, actor=office)
    )
    return user_out(user)
