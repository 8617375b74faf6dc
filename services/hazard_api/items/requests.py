"""The transition kernel's creation as a router calls it: with the app's engine, sessions and
settings taken from the request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request

from services.hazard_api.deps import engine_of, sessionmaker_of, settings_of
from services.hazard_api.items.kernel import Creation, ItemKind, create

InT = TypeVar("InT")
TargetT = TypeVar("TargetT")
OutT = TypeVar("OutT")


async def create_from(
    request: Request,
    kind: ItemKind[Any],
    creation: Creation[InT, TargetT, OutT],
    data: InT,
    *,
    claims: Mapping[str, Any],
    now: datetime,
) -> OutT:
    """Create one item and commit it. No session dependency: the kernel opens the one
    transaction (SQLite has one writer), or none on a kind's fast path."""
    return await create(
        kind,
        creation,
        data,
        claims=claims,
        engine=engine_of(request),
        sessionmaker=sessionmaker_of(request),
        now=now,
        settings=settings_of(request),
    )
