"""A hazard as it stood at a moment: its last audited state before then.

Every change of a hazard writes an audit row holding the hazard's state after it (see
`hazards.models.snapshot`), so the state at the end of a quarter is the `after` of the hazard's
last audit row before that end. A quarter's figures therefore do not move when a hazard of that
quarter is closed, reclassified or voided later; a hazard registered after the quarter ended was
not known at its end and is not counted in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.hazards.models import Hazard
from shared.contract import HazardStatus

_RUNNING = (HazardStatus.CLASSIFIED.value, HazardStatus.RECTIFYING.value)
_RECTIFIED = (HazardStatus.ACCEPTED.value, HazardStatus.CLOSED.value)


@dataclass(frozen=True)
class HazardAsOf:
    """What a statistics row needs of one hazard at the moment asked about."""

    unit_id: str
    unit_name: str
    township_id: str | None
    department_ids: list[str]
    industry_code: str | None
    level: str | None
    status: str
    deadline_at: datetime | None
    listed: bool
    funds_spent: int

    def rectified(self) -> bool:
        return self.status in _RECTIFIED

    def overdue(self, at: datetime) -> bool:
        return self.status in _RUNNING and self.deadline_at is not None and self.deadline_at < at


async def hazards_as_of(
    session: AsyncSession, *, user: AuthUser, start: datetime, end: datetime, at: datetime
) -> list[HazardAsOf]:
    """Hazards found in [start, end) and in the caller's scope, each as it stood just before
    `at` (changes at `at` itself are not counted)."""
    found = (
        select(Hazard.id)
        .where(
            in_scope(user, Hazard.unit_id),
            Hazard.found_at >= start,
            Hazard.found_at < end,
            Hazard.reported_at < at,
        )
        .scalar_subquery()
    )
    last = (
        select(AuditRow.chain_key, func.max(AuditRow.seq).label("seq"))
        .where(AuditRow.entity_type == "hazard", AuditRow.entity_id.in_(found), AuditRow.at < at)
        .group_by(AuditRow.chain_key)
        .subquery()
    )
    query = (
        select(
            Hazard.unit_id,
            Hazard.unit_name,
            Hazard.township_id,
            Hazard.department_ids,
            Hazard.industry_code,
            AuditRow.after,
        )
        .join(AuditRow, and_(AuditRow.entity_type == "hazard", AuditRow.entity_id == Hazard.id))
        .join(last, and_(last.c.chain_key == AuditRow.chain_key, last.c.seq == AuditRow.seq))
        .where(Hazard.id.in_(found))
    )
    out: list[HazardAsOf] = []
    for row in await session.execute(query):
        state: dict[str, Any] = row.after or {}
        status = state.get("status")
        # 作废: a duplicate or mistaken report was never a hazard found.
        if status is None or status == HazardStatus.VOIDED.value:
            continue
        deadline = state.get("deadline_at")
        out.append(
            HazardAsOf(
                unit_id=row.unit_id,
                unit_name=row.unit_name,
                township_id=row.township_id,
                department_ids=list(row.department_ids or []),
                industry_code=row.industry_code,
                level=state.get("level"),
                status=status,
                deadline_at=datetime.fromisoformat(deadline) if deadline else None,
                listed=state.get("listing_level") is not None,
                funds_spent=int(state.get("funds_spent") or 0),
            )
        )
    return out
