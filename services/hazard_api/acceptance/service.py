"""Acceptance rounds (database only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.acceptance.models import Acceptance
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.schemas import RectifiedIn
from shared.calendar import default_calendar
from shared.contract import DeadlineKind


def is_rectifier(h: Hazard, user: AuthUser) -> bool:
    """Whether `user` reported the hazard's rectification: never its verifier (16号令)."""
    if user.id == h.rectification_reported_by_user_id:
        return True
    return user.person_id is not None and user.person_id == h.rectification_reported_by_person_id


async def open_round(
    h: Hazard,
    data: RectifiedIn,
    *,
    session: AsyncSession,
    user: AuthUser,
    now: datetime,
    settings: Settings,
) -> Acceptance:
    """The unit's application; the review is due within the configured days (10 by 16号令)."""
    last = await session.scalar(
        select(func.max(Acceptance.round)).where(Acceptance.hazard_id == h.id)
    )
    due = default_calendar().deadline_after(
        now, settings.acceptance_review_days, DeadlineKind.CALENDAR_DAYS
    )
    acceptance = Acceptance(
        id=str(uuid.uuid4()),
        hazard_id=h.id,
        round=(last or 0) + 1,
        applied_at=now,
        applied_by_user_id=user.id,
        applied_by_person_id=user.person_id,
        summary=data.summary,
        funds_spent=data.funds_spent,
        due_at=due.at,
    )
    session.add(acceptance)
    await session.flush()
    return acceptance


async def open_acceptance(*, session: AsyncSession, hazard_id: str) -> Acceptance | None:
    return await session.scalar(
        select(Acceptance)
        .where(Acceptance.hazard_id == hazard_id, Acceptance.decided_at.is_(None))
        .order_by(Acceptance.round.desc())
    )


async def rounds(*, session: AsyncSession, hazard_id: str) -> list[Acceptance]:
    rows = await session.scalars(
        select(Acceptance).where(Acceptance.hazard_id == hazard_id).order_by(Acceptance.round)
    )
    return list(rows)
