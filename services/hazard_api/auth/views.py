"""`POST /auth/token` (OAuth2 password flow), `GET /auth/me`, and user accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.hazard_api.auth.accounts import create_user, delete_user, update_user, user_out
from services.hazard_api.auth.deps import CountyOffice, CurrentUser
from services.hazard_api.auth.flows import TooManyFailures, sign_in
from services.hazard_api.auth.models import (
    Password,
    TokenOut,
    User,
    UserIn,
    UserOut,
    UserPatch,
)
from services.hazard_api.auth.service import AuthUser, authenticate, grant_scopes, issue_token
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.fields import IdPath
from services.hazard_api.unit_of_work import Write

router = APIRouter(tags=["auth"])


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
    address = request.client.host if request.client else None
    try:
        user = await sign_in(
            form.username, form.password, address, session=session, settings=settings, clock=clock
        )
    except TooManyFailures as exc:
        raise _too_many(exc.retry_after) from None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "用户名或密码错误",
            headers={"WWW-Authenticate": "Bearer"},
        )
    scopes = grant_scopes(user, form.scopes)
    minutes = settings.access_token_minutes
    token = issue_token(user, scopes, secret_key=settings.secret_key, clock=clock, minutes=minutes)
    return TokenOut(access_token=token, expires_in=minutes * 60, scope=" ".join(scopes))


@router.get("/auth/me")
async def me(user: CurrentUser) -> AuthUser:
    return user


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=200)
    new_password: Password


@router.post(
    "/auth/password",
    status_code=204,
    summary="修改本人密码",
    description="须提供当前密码；修改后此前签发的令牌全部失效，需重新登录。",
    responses={403: {"description": "当前密码错误"}},
)
async def change_own_password(
    data: PasswordChangeIn, user: CurrentUser, session: SessionDep, write: Write, clock: ClockDep
) -> None:
    if await authenticate(user.username, data.current_password, session=session) is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "当前密码错误")
    patch = UserPatch(password=data.new_password)
    await write(
        lambda session: update_user(user.id, patch, session=session, clock=clock, actor=user)
    )


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


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_user(user_id: IdPath, office: CountyOffice, write: Write, clock: ClockDep) -> None:
    """Delete an account: every service refuses its tokens at their next request."""
    await write(lambda session: delete_user(user_id, session=session, clock=clock, actor=office))
