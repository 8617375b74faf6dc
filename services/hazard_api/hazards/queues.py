"""The work queues of the 工作台: each a named `HazardFilter` (the 台账 it links to), counted off
the counter table the database keeps (migration 0014) plus the few hazards whose deadline is
still ahead, so the counts stay exact and cost the same at ten thousand or a million hazards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, any_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.scope import in_scope, visible_unit_ids
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.hazards.models import Hazard, HazardQueueCount
from services.hazard_api.hazards.service import RUNNING
from shared.contract import HazardStatus
from shared.labels import DUE_SOON_DAYS


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


def _scope(
    user: AuthUser, dialect: str, unit_id: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    """The caller's scope over a table's `unit_id`; on PostgreSQL as `unit_id = ANY(ARRAY(<visible
    units>))`: the unit ids are found once, then the index is read only at those units' entries,
    where the `IN (subquery)` join reads the whole table to keep the township's. Same rows."""
    if dialect != "postgresql" or user.role == UserRole.COUNTY_OFFICE:
        return in_scope(user, unit_id)
    return unit_id == any_(func.array(visible_unit_ids(user).scalar_subquery()))


C = HazardQueueCount
# The running hazards, with the statuses as literals, as the partial index
# `ix_hazards_running_unit_deadline` (migration 0014) states them, so that PostgreSQL can use it
# on every execution of the prepared statement, not only on its first custom plans.
RUNNING_ONLY = Hazard.status.in_(
    bindparam("running", list(RUNNING), expanding=True, literal_execute=True)
)
# The clock-free queues as conditions on the counter rows (open hazards only), each the exact
# counterpart of the queue's `filter_conditions` (tests/hazard_api/lifecycle/test_work_queues.py
# checks every count against the total of the list it links to).
CLOCK_FREE: dict[str, ColumnElement[bool]] = {
    "pending_classification": C.status == HazardStatus.REPORTED.value,
    "rectifying": C.status == HazardStatus.RECTIFYING.value,
    "listed": C.listed.is_(True),
    "awaiting_acceptance": C.status == HazardStatus.RECTIFICATION_REPORTED.value,
    "extension_pending": C.extension_pending.is_(True),
}
# 已逾期 is `status IN RUNNING AND deadline_at < now`: the running hazards with a deadline (a
# counter sum) less those whose deadline is now or later (read off the hazards: a deadline is
# set weeks ahead, so the future ones are the few recent hazards, not the years of history).
WITH_DEADLINE = C.status.in_(RUNNING) & C.has_deadline.is_(True)


async def queue_counts(*, session: AsyncSession, user: AuthUser, now: datetime) -> QueueCounts:
    """Every queue, exact, without reading the bulk of the caller's hazards: sums over the
    counter rows (migration 0014) of the caller's units, plus one scan of the running hazards
    whose deadline is still ahead (即将到期, and what 已逾期 subtracts)."""
    dialect = session.get_bind().dialect.name
    sums = [func.coalesce(func.sum(C.n).filter(cond), 0) for cond in CLOCK_FREE.values()]
    counted = (
        await session.execute(
            select(*sums, func.coalesce(func.sum(C.n).filter(WITH_DEADLINE), 0)).where(
                _scope(user, dialect, C.unit_id)
            )
        )
    ).one()
    # Among running hazards with a deadline from now on, 即将到期 (`filter_conditions`: running
    # and the deadline between now and now + 7 days) is the deadline's upper bound alone; with
    # no status test the count is read off the index `ix_hazards_running_unit_deadline` alone.
    soon = now + timedelta(days=DUE_SOON_DAYS)
    due_soon, ahead = (
        await session.execute(
            select(func.count().filter(Hazard.deadline_at <= soon), func.count())
            .select_from(Hazard)
            .where(RUNNING_ONLY, Hazard.deadline_at >= now, _scope(user, dialect, Hazard.unit_id))
        )
    ).one()
    n = dict(zip(CLOCK_FREE, counted[:-1], strict=True))
    n["due_soon"], n["overdue"] = due_soon, counted[-1] - ahead
    return QueueCounts(
        queues=[
            QueueCount(key=q.key, label=q.label, count=int(n[q.key]), query=q.query) for q in QUEUES
        ]
    )
