"""Preferences: database access and the time rules they imply (quiet hours, digest window)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.config import Settings
from services.notification.preferences.models import Preference, PreferenceIn
from shared.clock import SHANGHAI, local
from shared.contract import Channel, Urgency


@dataclass(frozen=True)
class Prefs:
    channels: tuple[Channel, ...]
    quiet_start: time | None
    quiet_end: time | None
    digest_window_s: int
    is_default: bool = False


def defaults(settings: Settings) -> Prefs:
    return Prefs(
        channels=tuple(Channel(c) for c in settings.default_channels),
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        digest_window_s=settings.digest_window_s,
        is_default=True,
    )


def _from_row(row: Preference) -> Prefs:
    return Prefs(
        channels=tuple(Channel(c) for c in row.channels),
        quiet_start=time.fromisoformat(row.quiet_start) if row.quiet_start else None,
        quiet_end=time.fromisoformat(row.quiet_end) if row.quiet_end else None,
        digest_window_s=row.digest_window_s,
    )


async def prefs_for(
    person_ids: Iterable[str], *, session: AsyncSession, settings: Settings
) -> dict[str, Prefs]:
    ids = list(set(person_ids))
    found: dict[str, Prefs] = {}
    for start in range(0, len(ids), 500):
        rows = await session.scalars(
            select(Preference).where(Preference.person_id.in_(ids[start : start + 500]))
        )
        found.update({row.person_id: _from_row(row) for row in rows})
    base = defaults(settings)
    return {pid: found.get(pid, base) for pid in ids}


async def save(
    person_id: str, data: PreferenceIn, *, session: AsyncSession, now: datetime
) -> Preference:
    row = await session.get(Preference, person_id)
    if row is None:
        row = Preference(person_id=person_id)
        session.add(row)
    row.channels = [c.value for c in dict.fromkeys(data.channels)]
    row.quiet_start = data.quiet_start.strftime("%H:%M") if data.quiet_start else None
    row.quiet_end = data.quiet_end.strftime("%H:%M") if data.quiet_end else None
    row.digest_window_s = data.digest_window_s
    row.updated_at = now
    await session.flush()
    return row


def quiet_until(at: datetime, prefs: Prefs) -> datetime | None:
    """If `at` falls in the person's quiet hours (Asia/Shanghai), the instant they end."""
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None or start == end:
        return None
    here = local(at)
    t = here.time()
    if start < end:  # e.g. 12:00–14:00
        inside = start <= t < end
        end_day = here.date()
    else:  # wraps midnight, e.g. 21:00–08:00
        inside = t >= start or t < end
        end_day = here.date() + timedelta(days=1) if t >= start else here.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=SHANGHAI)


@dataclass
class Window:
    """A person's open digest window: the earliest and latest release of their waiting
    notices (immediate ones aside)."""

    earliest: datetime
    latest: datetime

    def add(self, release: datetime) -> None:
        self.earliest = min(self.earliest, release)
        self.latest = max(self.latest, release)


def _held(release: datetime, now: datetime, prefs: Prefs) -> datetime:
    held = quiet_until(release, prefs) or quiet_until(now, prefs)
    return max(release, held) if held is not None else release


def release_time(
    now: datetime,
    *,
    urgency: Urgency,
    prefs: Prefs,
    window: Window | None,
    urgent_window_s: int,
) -> datetime:
    """When a new notice may go. Immediate: at once, day or night. Urgent: within the short
    urgent window (with whatever the person already has waiting that goes sooner), moved
    past quiet hours — "urgent" is priority, not night. Otherwise with the person's open
    digest window, or at the end of a new one, moved past quiet hours."""
    if urgency == Urgency.IMMEDIATE:
        return now
    if urgency == Urgency.URGENT:
        own = _held(now + timedelta(seconds=urgent_window_s), now, prefs)
        if window is not None and window.earliest <= own:
            return max(window.earliest, now)
        return own
    if window is not None and window.latest >= now:
        return quiet_until(window.latest, prefs) or window.latest
    return _held(now + timedelta(seconds=prefs.digest_window_s), now, prefs)
