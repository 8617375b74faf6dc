"""Dependencies shared by the hazard routers."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.deps import missing_scopes, require_scopes, unauthenticated
from services.hazard_api.auth.models import Scope, UserRole
from services.hazard_api.auth.service import (
    AuthUser,
    granted_from,
    load_auth_user,
    remembered_identity,
)
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.errors import NotFound
from services.hazard_api.hazards.admission import UnitFacts, intake_lookup
from services.hazard_api.hazards.intake import UNIT_NOT_FOUND
from services.hazard_api.items.kernel import Context, Transitions

# People are limited by role and scope filter; integration clients also need token scopes.
HazardReader = Annotated[AuthUser, Depends(require_scopes(Scope.HAZARDS_READ.value))]
HazardWriter = Annotated[AuthUser, Depends(require_scopes(Scope.HAZARDS_WRITE.value))]


async def hazard_transitions(
    session: SessionDep, user: HazardWriter, clock: ClockDep, settings: SettingsDep
) -> Transitions:
    return Transitions(Context(session, user, clock.now(), settings))


# The transition kernel for this request, as the caller (who needs `hazards:write`).
HazardTransitions = Annotated[Transitions, Depends(hazard_transitions)]
HazardId = Annotated[str, Path(min_length=1, max_length=36, description="隐患ID")]


async def intake_caller(
    claims: dict[str, Any], unit_id: str | None, *, session: AsyncSession
) -> tuple[AuthUser, UnitFacts]:
    """Who reports a hazard, and for which unit: the users-row check (exists, active: a locked
    account is refused at once) and the scoped unit look-up share one query. 401 / 403 (an
    integration client without `hazards:write`) / 404 (unit missing or out of scope)."""
    who = remembered_identity(claims["sub"]) or await load_auth_user(claims, session=session)
    if who is None:
        raise unauthenticated()
    found = await intake_lookup(
        session=session, who=who, unit_id=unit_id or who.unit_id, claims=claims
    )
    if found is None:  # locked, or the remembered identity is stale: read the row again
        who = await load_auth_user(claims, session=session)
        if who is None:
            raise unauthenticated()
        found = await intake_lookup(
            session=session, who=who, unit_id=unit_id or who.unit_id, claims=claims
        )
        if found is None:
            raise unauthenticated()
    user = replace(who, scopes=granted_from(who.role, found.allowed_scopes, claims))
    if user.role == UserRole.INTEGRATION and Scope.HAZARDS_WRITE.value not in user.scopes:
        raise missing_scopes(Scope.HAZARDS_WRITE.value)
    if found.unit is None:
        raise NotFound(UNIT_NOT_FOUND)
    return user, found.unit
