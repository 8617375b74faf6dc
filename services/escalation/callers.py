"""Who is calling: a person (or integration client) signed in at hazard_api.

This service keeps no passwords; it trusts hazard_api's bearer token (the key in
`ESCALATION_BEARER_KEY`, or its own secret key in a one-key deployment) and reads role, unit
and person from it. A locked or deleted account, or a token issued before a password change,
is refused from the moment `org.account_changed` reaches this service (accounts/).

Every endpoint but health, metrics and the API docs needs a caller: `/tasks` and `/simulate`
the county office, `/cases/{id}` anyone whose scope covers the hazard's unit; the board's
`/cases?hazard_id=…`, `/cases/{id}/simulation` and `/policies` the county office and leaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from services.escalation.accounts.service import state_of
from shared.bearer import InvalidToken, decode_token, ensure_current
from shared.contract import HazardFacts

# Bearer tokens come from hazard_api's /auth/token; the URL is for the OpenAPI page only.
_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

COUNTY_OFFICE = "county_office"
HAZARDS_READ = "hazards:read"


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    unit_id: str | None = None
    person_id: str | None = None
    scopes: frozenset[str] = frozenset()

    def require_county_office(
        self, message: str = "只有县安委办可以查看和办理督办待办事项"
    ) -> None:
        if self.role != COUNTY_OFFICE:
            raise HTTPException(status.HTTP_403_FORBIDDEN, message)

    def may_read(self, facts: HazardFacts) -> bool:
        """The scope of hazard_api (auth/scope.py) as far as a hazard's facts tell it: the
        unit itself, its township, its supervising departments. Leaders' posts and portfolios
        live in hazard_api's directory, which this service does not keep: a leader reads
        here the cases of their own unit, and the rest on the hazard's timeline at hazard_api."""
        unit = self.unit_id
        match self.role:
            case "county_office":
                return True
            case "township":
                return unit is not None and unit in (facts.unit_id, facts.township_id)
            case "department":
                return unit is not None and (
                    unit == facts.unit_id or unit in (facts.department_ids or [])
                )
            case "integration":
                return (
                    HAZARDS_READ in self.scopes
                    and unit is not None
                    and (
                        unit in (facts.unit_id, facts.township_id)
                        or unit in (facts.department_ids or [])
                    )
                )
            case "enterprise" | "leader":
                return unit is not None and unit == facts.unit_id
        return False


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def unauthenticated() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "未登录或登录已过期，请重新登录",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_caller(request: Request, token: Annotated[str | None, Depends(_scheme)]) -> Caller:
    runtime = request.app.state.runtime
    settings = runtime.settings
    try:
        if not token:
            raise InvalidToken("no token")
        claims = decode_token(
            token, secret_key=settings.bearer_key or settings.secret_key, clock=runtime.clock
        )
        async with runtime.sessionmaker() as session:
            account = await state_of(str(claims["sub"]), session=session)
        if account is not None:
            ensure_current(claims, active=account.active, valid_from=account.tokens_valid_from)
    except InvalidToken:
        raise unauthenticated() from None
    raw_scopes = claims.get("scopes")
    return Caller(
        user_id=str(claims["sub"]),
        role=str(claims.get("role", "")),
        unit_id=_str_or_none(claims.get("unit_id")),
        person_id=_str_or_none(claims.get("person_id")),
        scopes=frozenset(s for s in raw_scopes if isinstance(s, str))
        if isinstance(raw_scopes, list)
        else frozenset(),
    )


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_policy_tester(caller: CallerDep) -> Caller:
    """A dependency, so the refusal comes before the (possibly large) policy is validated."""
    caller.require_county_office("只有县安委办可以推演督办策略")
    return caller


PolicyTester = Annotated[Caller, Depends(get_policy_tester)]


# The 督办看板 and the policy pages: the county office runs the ladder, county leaders watch it.
SUPERVISOR_ROLES = frozenset({COUNTY_OFFICE, "leader"})


async def get_supervisor(caller: CallerDep) -> Caller:
    if caller.role not in SUPERVISOR_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "只有县安委办和县领导可以查看督办看板和督办策略"
        )
    return caller


Supervisor = Annotated[Caller, Depends(get_supervisor)]
