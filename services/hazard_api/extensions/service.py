"""Extension requests (database only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.extensions.models import Extension, ExtensionStatus
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Context


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


async def withdraw_pending(h: Hazard, ctx: Context, reason: str) -> dict[str, Any] | None:
    """Settle the hazard's pending request within a transition that ends its rectification
    order (作废, 申请验收, 改判): nobody could decide it any more (审批延期 needs 整改中), and
    left pending it would stay in 待审批延期 and keep escalation's decision chase running
    (the event carries `extension_requested_at`). Returns what the audit row (and so the
    timeline) records, or None when nothing was pending."""
    h.extension_requested_at = None
    ext = await ctx.session.scalar(
        select(Extension).where(
            Extension.hazard_id == h.id, Extension.status == ExtensionStatus.PENDING.value
        )
    )
    if ext is None:
        return None
    ext.status = ExtensionStatus.WITHDRAWN.value
    ext.decided_at, ext.decided_by_user_id, ext.opinion = ctx.now, ctx.user.id, reason
    return {"extension_withdrawn": {"extension_id": ext.id, "reason": reason}}
