"""Hazard queries (database only): scoped look-ups, filtered lists, event facts."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.scope import in_scope, supervised_by
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.directory.models import Unit
from services.hazard_api.errors import NotFound
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.schemas import HazardOut
from shared.contract import (
    DeadlineKind,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    ListingLevel,
)

NOT_FOUND = "隐患不存在或不在您的管辖范围内"
# States in which a deadline is running and can be missed (逾期).
RUNNING = (HazardStatus.CLASSIFIED.value, HazardStatus.RECTIFYING.value)
ENDED = (HazardStatus.CLOSED.value, HazardStatus.VOIDED.value)


async def get_scoped(
    *, session: AsyncSession, user: AuthUser, hazard_id: str, lock: bool = False
) -> Hazard:
    """The hazard if `user` may see it; 404 otherwise (existence must not leak)."""
    query = select(Hazard).where(Hazard.id == hazard_id, in_scope(user, Hazard.unit_id))
    if lock:
        query = query.with_for_update(of=Hazard)
    hazard = await session.scalar(query)
    if hazard is None:
        raise NotFound(NOT_FOUND)
    return hazard


def facts(h: Hazard | Mapping[str, Any], *, actor_person_id: str | None) -> HazardFacts:
    """The event facts of a hazard (or of the column values of one not yet written)."""
    get: Callable[[str], Any] = h.get if isinstance(h, Mapping) else functools.partial(getattr, h)
    level, deadline_kind, listing_level = get("level"), get("deadline_kind"), get("listing_level")
    return HazardFacts(
        hazard_id=get("id"),
        code=get("code"),
        status=HazardStatus(get("status")),
        level=HazardLevel(level) if level else None,
        grade=get("grade"),
        unit_id=get("unit_id"),
        unit_name=get("unit_name"),
        area_code=get("area_code"),
        industry_code=get("industry_code"),
        township_id=get("township_id"),
        department_ids=list(get("department_ids") or []),
        description=get("description"),
        deadline_at=get("deadline_at"),
        deadline_kind=DeadlineKind(deadline_kind) if deadline_kind else None,
        deadline_provisional=get("deadline_provisional"),
        listing_level=ListingLevel(listing_level) if listing_level else None,
        listing_body_id=get("listing_body_id"),
        listed_at=get("listed_at"),
        classified_at=get("classified_at"),
        rectification_reported_at=get("rectification_reported_at"),
        acceptance_due_at=get("acceptance_due_at"),
        actor_person_id=actor_person_id,
        source=get("source"),
        reported_at=get("reported_at"),
        listing_published_at=get("listing_published_at"),
        extension_requested_at=get("extension_requested_at"),
        accepted_at=get("accepted_at"),
    )


def is_overdue(h: Hazard, now: datetime) -> bool:
    return h.status in RUNNING and h.deadline_at is not None and h.deadline_at < now


def hazard_out(h: Hazard, now: datetime) -> HazardOut:
    out = HazardOut.model_validate(h)
    out.overdue = is_overdue(h, now)
    return out


class SortKey(StrEnum):
    FOUND_AT = "found_at"
    FOUND_AT_DESC = "-found_at"
    DEADLINE_AT = "deadline_at"
    DEADLINE_AT_DESC = "-deadline_at"
    REPORTED_AT = "reported_at"
    REPORTED_AT_DESC = "-reported_at"
    GRADE = "grade"


class HazardFilter(BaseModel):
    """Query parameters of `GET /hazards`."""

    model_config = ConfigDict(extra="forbid")

    status: HazardStatus | None = None
    level: HazardLevel | None = None
    grade: int | None = Field(default=None, ge=1, le=3)
    overdue: bool | None = None
    listed: bool | None = None
    listing_level: ListingLevel | None = None
    township_id: str | None = Field(default=None, max_length=36)
    department_id: str | None = Field(default=None, max_length=36)
    unit_id: str | None = Field(default=None, max_length=36)
    industry_code: str | None = Field(default=None, max_length=10)  # GB/T 4754 prefix
    # Running hazards whose deadline falls within the next N days (即将到期).
    due_within_days: int | None = Field(default=None, ge=1, le=90)
    # An extension request waiting for its decision (待审批延期).
    extension_pending: bool | None = None
    # Not closed and not voided.
    open: bool | None = None
    # Free text: code, unit name, location or description contains it.
    q: str | None = Field(default=None, min_length=1, max_length=100)
    deadline_from: AwareDatetime | None = None
    deadline_to: AwareDatetime | None = None
    sort: SortKey = SortKey.FOUND_AT_DESC
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)


def _conditions(f: HazardFilter, now: datetime) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
    if f.status is not None:
        c.append(Hazard.status == f.status.value)
    if f.level is not None:
        c.append(Hazard.level == f.level.value)
    if f.grade is not None:
        c.append(Hazard.grade == f.grade)
    if f.overdue is not None:
        late = Hazard.status.in_(RUNNING) & (Hazard.deadline_at < now)
        c.append(late if f.overdue else ~late)
    if f.listed is not None:
        c.append(Hazard.listing_level.is_not(None) if f.listed else Hazard.listing_level.is_(None))
    if f.listing_level is not None:
        c.append(Hazard.listing_level == f.listing_level.value)
    if f.township_id is not None:
        c.append(Hazard.township_id == f.township_id)
    if f.department_id is not None:
        supervised = select(Unit.id).where(supervised_by([f.department_id]))
        c.append(Hazard.unit_id.in_(supervised))
    if f.unit_id is not None:
        c.append(Hazard.unit_id == f.unit_id)
    if f.industry_code is not None:
        c.append(Hazard.industry_code.startswith(f.industry_code.upper(), autoescape=True))
    if f.due_within_days is not None:
        soon = now + timedelta(days=f.due_within_days)
        c.append(Hazard.status.in_(RUNNING) & Hazard.deadline_at.between(now, soon))
    if f.extension_pending is not None:
        waiting = Hazard.extension_requested_at.is_not(None)
        c.append(waiting if f.extension_pending else ~waiting)
    if f.open is not None:
        ended = Hazard.status.in_(ENDED)
        c.append(~ended if f.open else ended)
    if f.q is not None:
        text = f.q.strip()
        c.append(
            or_(
                *(
                    col.contains(text, autoescape=True)
                    for col in (Hazard.code, Hazard.unit_name, Hazard.location, Hazard.description)
                )
            )
        )
    if f.deadline_from is not None:
        c.append(Hazard.deadline_at >= f.deadline_from)
    if f.deadline_to is not None:
        c.append(Hazard.deadline_at <= f.deadline_to)
    return c


# Each sort key with the id as a tiebreaker in the same direction: a stable order (pages never
# overlap or skip rows), and one the (key, id) indexes of migration 0010 read in order.
_ORDER: dict[SortKey, tuple[Any, ...]] = {
    SortKey.FOUND_AT: (Hazard.found_at.asc(), Hazard.id.asc()),
    SortKey.FOUND_AT_DESC: (Hazard.found_at.desc(), Hazard.id.desc()),
    SortKey.DEADLINE_AT: (Hazard.deadline_at.asc().nulls_last(), Hazard.id.asc()),
    SortKey.DEADLINE_AT_DESC: (Hazard.deadline_at.desc().nulls_last(), Hazard.id.desc()),
    SortKey.REPORTED_AT: (Hazard.reported_at.asc(), Hazard.id.asc()),
    SortKey.REPORTED_AT_DESC: (Hazard.reported_at.desc(), Hazard.id.desc()),
    SortKey.GRADE: (Hazard.grade.asc().nulls_last(), Hazard.id.asc()),
}
# A list's `total` is counted exactly up to this many rows (100 pages of 20) and reported as
# "at least this many" past it (`total_exact` false): counting a million matches on every page
# turn would cost far more than the page itself. The 工作台 counts (queues) stay exact.
TOTAL_CAP = 2_000


def scoped(user: AuthUser) -> Select[Hazard]:
    return select(Hazard).where(in_scope(user, Hazard.unit_id))


def filter_conditions(f: HazardFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The filter's conditions without the caller's scope (the 工作台 counts add it once)."""
    return _conditions(f, now)


def matching(user: AuthUser, f: HazardFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The conditions of the filtered, scoped set (the list, its counts and its export)."""
    return [in_scope(user, Hazard.unit_id), *_conditions(f, now)]


def ordered(f: HazardFilter) -> tuple[Any, ...]:
    return _ORDER[f.sort]


async def list_hazards(
    *, session: AsyncSession, user: AuthUser, f: HazardFilter, now: datetime
) -> tuple[list[Hazard], int, bool]:
    """A page of the filtered set, its total (capped at TOTAL_CAP) and whether that is exact."""
    conditions = matching(user, f, now)
    capped = select(Hazard.id).where(*conditions).limit(TOTAL_CAP + 1).subquery()
    total = int(await session.scalar(select(func.count()).select_from(capped)) or 0)
    rows = await session.scalars(
        select(Hazard)
        .where(*conditions)
        .order_by(*ordered(f))
        .offset((f.page - 1) * f.page_size)
        .limit(f.page_size)
    )
    if total > TOTAL_CAP:
        return list(rows), TOTAL_CAP, False
    return list(rows), total, True
