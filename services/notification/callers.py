"""Who is calling /preferences and /deliveries: a person signed in at hazard_api.

This service keeps no accounts; it trusts hazard_api's bearer token (same key) and reads the
role, unit and person from it. A locked account, or a token issued before a password change,
is refused from the moment `org.account_changed` reaches this service's read model (hazard_api
emits it in the transaction that changes the account).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from services.notification.deps import RuntimeDep
from services.notification.directory.service import account_state
from shared.bearer import InvalidToken, decode_token, ensure_current

# Bearer tokens come from hazard_api's /auth/token; the URL is for the OpenAPI page only.
_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

COUNTY_OFFICE = "county_office"
INTEGRATION = "integration"
DELIVERIES_READ = "deliveries:read"


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    person_id: str | None
    scopes: frozenset[str]
    unit_id: str | None = None  # the caller's unit (a township, a department, an enterprise)

    @property
    def sees_everyone(self) -> bool:
        """The county office keeps the proof of who was told what; an integration client may
        read it with the `deliveries:read` scope."""
        return self.role == COUNTY_OFFICE or (
            self.role == INTEGRATION and DELIVERIES_READ in self.scopes
        )

    def may_act_for(self, person_id: str) -> bool:
        return self.role == COUNTY_OFFICE or self.person_id == person_id


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def get_caller(token: Annotated[str | None, Depends(_scheme)], runtime: RuntimeDep) -> Caller:
    settings = runtime.settings
    try:
        if not token:
            raise InvalidToken("no token")
        claims = decode_token(
            token, secret_key=settings.bearer_key or settings.secret_key, clock=runtime.clock
        )
        async with runtime.sessionmaker() as session:
            account = await account_state(claims["sub"], session=session)
        if account is not None:
            ensure_current(claims, active=account.active, valid_from=account.tokens_valid_from)
    except InvalidToken:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "未登录或登录已过期，请重新登录",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    raw_scopes = claims.get("scopes")
    return Caller(
        user_id=claims["sub"],
        role=str(claims.get("role", "")),
        person_id=_str_or_none(claims.get("person_id")),
        unit_id=_str_or_none(claims.get("unit_id")),
        scopes=frozenset(s for s in raw_scopes if isinstance(s, str))
        if isinstance(raw_scopes, list)
        else frozenset(),
    )


CallerDep = Annotated[Caller, Depends(get_caller)]


def forbidden(message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, message)
