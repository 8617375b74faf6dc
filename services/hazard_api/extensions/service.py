"""Extension requests (database only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.extensions.models import Extension, ExtensionStatus


async def history(*, session: AsyncSession, hazard_id: str) -> list[Extension]:
    rows = await session.scalars(
        select(Extension).where(Extension.hazard_id == hazard_id).order_by(Extension.requested_at)
    )
    return list(rows)


async def pending(*, session: AsyncSession, hazard_id: str) -> str | None:
    return await session.scalar(
        select(Extension.id).where(
            Extension.hazard_id == hazard_id, Extension.status == ExtensionStatus.PENDING.value
        )
    )


async def of_hazard(
    *, session: AsyncSession, hazard_id: str, extension_id: str
) -> Extension | None:
    return await session.scalar(
        select(Extension).where(Extension.id == extension_id, Extension.hazard_id == hazard_id)
    )
