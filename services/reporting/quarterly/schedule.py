"""When and how the quarter's table goes upward.

16号令 wants the quarter's statistics by the 15th of the month after it; the county submits on
a configurable day before that (`REPORTING_QUARTERLY_DAY`, `_HOUR`, Beijing time). The ledger
is the schedule's memory: the quarter whose moment has come is submitted unless the ledger
already holds it, so a restart, a second instance or a late start submits it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.config import Settings
from services.reporting.hazard_link import HazardLink
from services.reporting.intake.units import UnitCopy
from services.reporting.ledger.models import Submission
from services.reporting.ledger.service import FileCopy, NewSubmission, enqueue_many
from services.reporting.quarterly import document as doc
from shared.clock import SHANGHAI, Clock


def due_at(year: int, quarter: int, *, day: int, hour: int) -> datetime:
    """The moment the quarter's table is submitted (UTC)."""
    month = 3 * quarter + 1
    if month > 12:
        year, month = year + 1, 1
    return datetime(year, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def previous_quarter(now: datetime) -> tuple[int, int]:
    local = now.astimezone(SHANGHAI)
    quarter = (local.month - 1) // 3  # the quarter before the running one (0: last year's Q4)
    return (local.year, quarter) if quarter else (local.year - 1, 4)


def quarter_due(now: datetime, *, day: int, hour: int) -> tuple[int, int] | None:
    """The quarter to submit now: the one just ended, once its submission moment has come."""
    year, quarter = previous_quarter(now)
    return (year, quarter) if now >= due_at(year, quarter, day=day, hour=hour) else None


def quarter_ended(year: int, quarter: int, now: datetime) -> bool:
    return due_at(year, quarter, day=1, hour=0) <= now


class Quarterly:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        link: HazardLink,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings, self.sessionmaker = settings, sessionmaker
        self.clock, self.link = clock, link
        self.on_enqueued = on_enqueued

    async def tick(self) -> list[str]:
        """Submit the quarter whose moment has come, if the ledger does not hold it yet."""
        s = self.settings
        due = quarter_due(self.clock.now(), day=s.quarterly_day, hour=s.quarterly_hour)
        if due is None or await self.submitted(*due) is not None:
            return []
        return await self.submit(*due)

    async def submitted(self, year: int, quarter: int) -> Submission | None:
        async with self.sessionmaker() as session:
            return await session.scalar(
                select(Submission).where(
                    Submission.source_key == doc.quarter_key(year, quarter),
                    Submission.document == doc.NAME,
                )
            )

    async def source(self, year: int, quarter: int) -> dict[str, Any]:
        """What the document is built from: hazard_api's table as of the quarter's end and
        the national codes of the units it names."""
        stats = await self.link.quarter_statistics(year, quarter)
        ids = [r["unit_id"] for r in stats["units"] if r.get("unit_id")]
        async with self.sessionmaker() as session:
            rows = await session.scalars(select(UnitCopy).where(UnitCopy.unit_id.in_(ids)))
            units = {
                u.unit_id: {
                    "credit_code": u.credit_code,
                    "area_code": u.area_code,
                    "industry_code": u.industry_code,
                }
                for u in rows
            }
        sender = {"area_code": self.settings.county_area_code, "name": self.settings.county_name}
        return {"kind": doc.KIND, "sender": sender, "statistics": stats, "units": units}

    async def submit(self, year: int, quarter: int) -> list[str]:
        source = await self.source(year, quarter)
        document = doc.build(source)
        files = [FileCopy(name, media, content) for name, media, content in doc.copies(document)]
        key = doc.quarter_key(year, quarter)
        new = NewSubmission(
            document=doc.NAME,
            version=doc.VERSION,
            item_key=key,
            source_key=key,
            source=source,
            body=doc.regenerate(source),
            files=files,
        )
        async with self.sessionmaker() as session, session.begin():
            ids = await enqueue_many(session, [new], now=self.clock.now())
        if ids:
            self.on_enqueued()
        return ids
