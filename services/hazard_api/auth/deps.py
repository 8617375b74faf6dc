"""Who is calling: `CurrentUser`, role and scope guards (reuse these in every router)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.service import AuthUser, load_auth_user
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from shared.bearer import InvalidToken, decode_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

_UNAUTHENTICATED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="未登录或登录已过期，请重新登录",
    headers={"WWW-Authenticate": "Bearer"},
)


async def get_token_claims(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    settings: SettingsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """The bearer token's verified, unexpired claims (the users row is not read here)."""
    if not token:
        raise _UNAUTHENTICATED
    try:
        return decode_token(token, secret_key=settings.secret_key, clock=clock)
    except InvalidToken:
        raise _UNAUTHENTICATED from None


TokenClaims = Annotated[dict[str, Any], Depends(get_token_claims)]


def unauthenticated() -> HTTPException:
    return _UNAUTHENTICATED


def missing_scopes(*scopes: str) -> HTTPException:
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        "令牌未获授权：需要 " + " ".join(scopes),
        headers={"WWW-Authenticate": f'Bearer scope="{" ".join(scopes)}"'},
    )


async def get_current_user(claims: TokenClaims, session: SessionDep) -> AuthUser:
    user = await load_auth_user(claims, session=session)
    if user is None:
        raise _UNAUTHENTICATED
    return user


CurrentUser = Annotated[AuthUser, Depends(get_current_user)]


def require_roles(*roles: UserRole) -> Callable[[AuthUser], Awaitable[AuthUser]]:
    """`Depends(require_roles(UserRole.COUNTY_OFFICE))`: other roles get 403."""

    async def check(user: CurrentUser) -> AuthUser:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "当前账号无权执行此操作")
        return user

    return check


def require_scopes(*scopes: str) -> Callable[[AuthUser], Awaitable[AuthUser]]:
    """Integration clients need every scope named; people are limited by role and scope filter."""

    async def check(user: CurrentUser) -> AuthUser:
        if user.role == UserRole.INTEGRATION and not set(scopes) <= user.scopes:
            raise missing_scopes(*scopes)
        return user

    return check


# Directory reads: any person, or an integration client holding `directory:read`.
DirectoryReader = Annotated[AuthUser, Depends(require_scopes("directory:read"))]
# Directory writes: the offices that keep the directory (within their scope).
DirectoryWriter = Annotated[
    AuthUser,
    Depends(require_roles(UserRole.COUNTY_OFFICE, UserRole.TOWNSHIP, UserRole.DEPARTMENT)),
]
# People and posts: enterprises also keep their own.
StaffWriter = Annotated[
    AuthUser,
    Depends(
        require_roles(
            UserRole.COUNTY_OFFICE, UserRole.TOWNSHIP, UserRole.DEPARTMENT, UserRole.ENTERPRISE
        )
    ),
]
CountyOffice = Annotated[AuthUser, Depends(require_roles(UserRole.COUNTY_OFFICE))]
