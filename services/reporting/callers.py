"""Who is calling: a county-office user (or integration client) signed in at hazard_api.

This service keeps no passwords; it trusts hazard_api's bearer token (`REPORTING_BEARER_KEY`,
or its own secret key in a one-key deployment). The deliveries view, replay and verification
are the county office's (县安委办), who answers for what went upward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from shared.bearer import InvalidToken, decode_token

_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

COUNTY_OFFICE = "county_office"


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str


async def get_caller(request: Request, token: Annotated[str | None, Depends(_scheme)]) -> Caller:
    runtime = request.app.state.runtime
    settings = runtime.settings
    try:
        if not token:
            raise InvalidToken("no token")
        claims = decode_token(
            token, secret_key=settings.bearer_key or settings.secret_key, clock=runtime.clock
        )
    except InvalidToken:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "未登录或登录已过期，请重新登录",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    return Caller(user_id=str(claims["sub"]), role=str(claims.get("role", "")))


async def get_county_office(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if caller.role != COUNTY_OFFICE:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "只有县安委办可以查看和处理上报记录")
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
CountyOfficeDep = Annotated[Caller, Depends(get_county_office)]
