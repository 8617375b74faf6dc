"""Dependencies shared by the routers of the items under the accident scopes: accidents,
suspension orders (停产停业整顿) and 复工复产 campaigns."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.hazard_api.auth.deps import require_scopes
from services.hazard_api.auth.models import Scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.items.kernel import Context, Transitions

# People are limited by role and scope filter; integration clients also need token scopes.
AccidentReader = Annotated[AuthUser, Depends(require_scopes(Scope.ACCIDENTS_READ.value))]
AccidentWriter = Annotated[AuthUser, Depends(require_scopes(Scope.ACCIDENTS_WRITE.value))]


async def accident_transitions(
    session: SessionDep, user: AccidentWriter, clock: ClockDep, settings: SettingsDep
) -> Transitions:
    return Transitions(Context(session, user, clock.now(), settings))


# The transition kernel for this request, as the caller (who needs `accidents:write`).
AccidentTransitions = Annotated[Transitions, Depends(accident_transitions)]
