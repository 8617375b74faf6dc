"""The work queues of the 工作台: each a named `HazardFilter`, counted with the same conditions
the list uses, so a count and the 台账 it links to cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, any_, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.scope import in_scope, visible_unit_ids
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.service import ENDED, HazardFilter, filter_conditions

# 即将到期: the deadline falls within this many days.
DUE_SOON_DAYS = 7
# Every queue below is a set of open hazards (its status, a running deadline, or `open`), so
# the counts skip closed and voided ones up front: with the statuses as literals, as the
# partial index `ix_hazards_open_unit` (migration 0014) states them, so that PostgreSQL can use
# it on every execution of the prepared statement, not only on its first custom plans.
OPEN_ONLY = Hazard.status.not_in(
    bindparam("ended", list(ENDED), expanding=True, literal_execute=True)
)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    query: dict[str, Any]  # the `GET /hazards` query parameters of the queue


QUEUES: tuple[Queue, ...] = (
    Queue("pending_classification", "待判定", {"status": "reported"}),
    Queue("rectifying", "整改中", {"status": "rectifying"}),
    Queue("due_soon", "即将到期", {"due_within_days": DUE_SOON_DAYS}),
    Queue("overdue", "已逾期", {"overdue": "true"}),
    Queue("listed", "挂牌督办", {"listed": "true", "open": "true"}),
    Queue("awaiting_acceptance", "待验收", {"status": "rectification_reported"}),
    # Open only: a request left pending on a hazard voided or rectified meanwhile can no longer
    # be decided (审批延期 needs 整改中), and every other queue is a set of open hazards too.
    Queue("extension_pending", "待审批延期", {"extension_pending": "true", "open": "true"}),
)


class QueueCount(BaseModel):
    key: str
    label: str
    count: int
    query: dict[str, Any]


class QueueCounts(BaseModel):
    queues: list[QueueCount]


def _scope(user: AuthUser, dialect: str) -> ColumnElement[bool]:
    """The caller's scope; on PostgreSQL as `unit_id = ANY(ARRAY(<visible units>))`: the unit
    ids are found once, then the index is read only at those units' entries (a township's
    third of a million open hazards, about 33 ms), where the `IN (subquery)` join reads every
    open hazard of the county to keep its township's (about 85 ms). Same rows either way."""
    if dialect != "postgresql" or user.role == UserRole.COUNTY_OFFICE:
        return in_scope(user, Hazard.unit_id)
    return Hazard.unit_id == any_(func.array(visible_unit_ids(user).scalar_subquery()))


async def queue_counts(*, session: AsyncSession, user: AuthUser, now: datetime) -> QueueCounts:
    """Every queue in one pass over the caller's open hazards (`count(*) FILTER (WHERE …)` per
    queue, the list's own conditions): one index-only scan of a township's open share of a
    million rows instead of one scan of all its rows per queue."""
    counted = [
        func.count().filter(
            and_(true(), *filter_conditions(HazardFilter.model_validate(q.query), now))
        )
        for q in QUEUES
    ]
    row = (
        await session.execute(
            select(*counted)
            .select_from(Hazard)
            .where(OPEN_ONLY, _scope(user, session.get_bind().dialect.name))
        )
    ).one()
    return QueueCounts(
        queues=[
            QueueCount(key=q.key, label=q.label, count=int(n or 0), query=q.query)
            for q, n in zip(QUEUES, row, strict=True)
        ]
    )
