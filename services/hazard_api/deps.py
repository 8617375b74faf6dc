"""Request-scoped dependencies every router of hazard_api uses (Annotated aliases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.hazard_api.config import Settings
from shared.clock import Clock


def sessionmaker_of(request: Request) -> async_sessionmaker[AsyncSession]:
    return cast(async_sessionmaker[AsyncSession], request.app.state.sessionmaker)


def engine_of(request: Request) -> AsyncEngine:
    """For a hot path that needs no session (see hazards.intake)."""
    return cast(AsyncEngine, request.app.state.engine)


def settings_of(request: Request) -> Settings:
    """Without a dependency (hot path): the same object `SettingsDep` gives."""
    return cast(Settings, request.app.state.settings)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; handlers commit explicitly, anything uncommitted rolls back."""
    async with sessionmaker_of(request)() as session:
        yield session


# `async def` although nothing is awaited: FastAPI runs plain `def` dependencies in a worker
# thread, a thread hand-off per request for an attribute read.
async def get_clock(request: Request) -> Clock:
    return cast(Clock, request.app.state.clock)


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
