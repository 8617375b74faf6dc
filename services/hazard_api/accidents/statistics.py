"""Accident statistics (事故统计): per month of the year, by class, industry and township, with
deaths (missing counted apart), serious and minor injuries and the direct loss. Counted from the
statutory class and the latest figures; the caller's scope applies."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.accidents.models import Accident
from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from shared.accident_labels import ACCIDENT_CLASS_LABELS
from shared.clock import SHANGHAI, local


class Tally(BaseModel):
    accidents: int = 0
    deaths: int = 0
    missing: int = 0
    serious_injuries: int = 0
    minor_injuries: int = 0
    direct_loss_yuan: int = 0

    def add(self, a: Accident) -> None:
        self.accidents += 1
        self.deaths += a.deaths or 0
        self.missing += a.missing or 0
        self.serious_injuries += a.serious_injuries or 0
        self.minor_injuries += a.minor_injuries or 0
        self.direct_loss_yuan += a.direct_loss_yuan or 0


class AccidentStatistics(BaseModel):
    year: int
    total: Tally
    by_month: dict[int, Tally]
    by_class: dict[str, Tally]  # keyed by the Chinese class name
    by_industry: dict[str, Tally]  # GB/T 4754 code ("未知" when missing)
    by_township: dict[str, Tally]  # township unit id ("未知" when missing)


async def year_statistics(
    *, session: AsyncSession, user: AuthUser, year: int
) -> AccidentStatistics:
    start = datetime(year, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    rows = await session.scalars(
        select(Accident).where(
            in_scope(user, Accident.unit_id),
            Accident.occurred_at >= start,
            Accident.occurred_at < end,
        )
    )
    total = Tally()
    groups: dict[str, dict[Any, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for a in rows:
        total.add(a)
        groups["month"][local(a.occurred_at).month].add(a)
        groups["class"][ACCIDENT_CLASS_LABELS[a.accident_class]].add(a)
        groups["industry"][a.industry_code or "未知"].add(a)
        groups["township"][a.township_id or "未知"].add(a)
    return AccidentStatistics(
        year=year,
        total=total,
        by_month=dict(sorted(groups["month"].items())),
        by_class=dict(groups["class"]),
        by_industry=dict(sorted(groups["industry"].items())),
        by_township=dict(sorted(groups["township"].items())),
    )
