"""Dependencies shared by the hazard routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from services.hazard_api.auth.deps import require_scopes
from services.hazard_api.auth.models import Scope
from services.hazard_api.auth.service import AuthUser

# People are limited by role and scope filter; integration clients also need token scopes.
HazardReader = Annotated[AuthUser, Depends(require_scopes(Scope.HAZARDS_READ.value))]
HazardWriter = Annotated[AuthUser, Depends(require_scopes(Scope.HAZARDS_WRITE.value))]
HazardId = Annotated[str, Path(min_length=1, max_length=36, description="隐患ID")]
