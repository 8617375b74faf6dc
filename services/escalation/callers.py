"""Who is calling /tasks: a person signed in at hazard_api.

This service keeps no accounts; it trusts hazard_api's bearer token (the key in
`ESCALATION_BEARER_KEY`, or its own secret key in a one-key deployment) and reads the role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from shared.bearer import InvalidToken, decode_token

# Bearer tokens come from hazard_api's /auth/token; the URL is for the OpenAPI page only.
_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

COUNTY_OFFICE = "county_office"


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str

    def require_county_office(self) -> None:
        if self.role != COUNTY_OFFICE:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "只有县安委办可以查看和办理督办待办事项")


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


CallerDep = Annotated[Caller, Depends(get_caller)]
