"""A case's timeline: when each step of its frozen policy falls, computed, never stored.

Pure functions of the steps, the anchor times and the case's phase, memoised: a county has
many hazards but few distinct deadlines, so a million cases share a few thousand timelines
and the scheduler's hot path is a dictionary lookup.
"""

from __future__ import annotations

import bisect
import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.escalation.policy.models import (
    ACTIVE_ANCHORS,
    PAUSED_ANCHORS,
    Anchor,
    ListingCondition,
    OffsetUnit,
    Step,
)
from shared.calendar import WorkCalendar
from shared.clock import SHANGHAI
from shared.contract import Urgency

Key = tuple[datetime, int, int]


@dataclass(frozen=True, slots=True)
class Anchors:
    deadline_at: datetime | None = None
    classified_at: datetime | None = None
    rectification_reported_at: datetime | None = None
    acceptance_due_at: datetime | None = None
    reported_at: datetime | None = None
    ordered_at: datetime | None = None
    listed_at: datetime | None = None
    extension_requested_at: datetime | None = None
    accepted_at: datetime | None = None
    upward_report_due_at: datetime | None = None
    supplement_ends_at: datetime | None = None
    investigation_due_at: datetime | None = None
    decision_due_at: datetime | None = None
    items_missing_at: datetime | None = None

    def of(self, anchor: Anchor) -> datetime | None:
        return getattr(self, _ANCHOR_FIELDS[anchor])  # type: ignore[no-any-return]


_ANCHOR_FIELDS = {
    Anchor.DEADLINE: "deadline_at",
    Anchor.CLASSIFIED: "classified_at",
    Anchor.RECTIFICATION_REPORTED: "rectification_reported_at",
    Anchor.ACCEPTANCE_DUE: "acceptance_due_at",
    Anchor.REPORTED: "reported_at",
    Anchor.ORDERED: "ordered_at",
    Anchor.LISTED: "listed_at",
    Anchor.EXTENSION_REQUESTED: "extension_requested_at",
    Anchor.ACCEPTED: "accepted_at",
    Anchor.UPWARD_REPORT_DUE: "upward_report_due_at",
    Anchor.SUPPLEMENT_ENDS: "supplement_ends_at",
    Anchor.INVESTIGATION_DUE: "investigation_due_at",
    Anchor.DECISION_DUE: "decision_due_at",
    Anchor.ITEMS_MISSING: "items_missing_at",
}


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """When a person may be texted: working days, from `start` to `end` (Asia/Shanghai).

    A step that is not `immediate` and falls outside them moves to the next start: an overdue
    notice never reaches a 副县长 at 23:59, a Sunday reminder waits for Monday morning.
    """

    start: time = time(8, 30)
    end: time = time(21, 0)


@dataclass(frozen=True, slots=True)
class Occurrence:
    due_at: datetime
    step_index: int
    repeat_index: int
    provisional: bool

    @property
    def key(self) -> Key:
        return (self.due_at, self.step_index, self.repeat_index)


Timeline = tuple[Occurrence, ...]


_ORDER = operator.attrgetter("due_at", "step_index", "repeat_index")  # == Occurrence.key
_DAY_UNITS = frozenset({OffsetUnit.WORKING_DAYS, OffsetUnit.CALENDAR_DAYS})
_DATED_MEMO_SIZE = 1 << 16
# An anchor, its steps at a fixed time of day, its other steps (each with its index).
_Part = tuple[Anchor, tuple[tuple[int, Step], ...], tuple[tuple[int, Step], ...]]


class Planner:
    def __init__(
        self,
        calendar: WorkCalendar,
        *,
        hours: WorkingHours | None = None,
        cache_size: int = 1 << 16,
    ) -> None:
        self.calendar = calendar
        self.hours = hours or WorkingHours()
        self._steps: dict[int, tuple[Step, ...]] = {}
        self._cached = functools.lru_cache(maxsize=cache_size)(self._for_snapshot)
        # (snapshot and phase, anchor, its local date) -> the occurrences of the steps at a
        # fixed time of day on that anchor: those depend on the anchor's date only. Anchors
        # are per case (the timeline cache above rarely hits in a county); dates are few.
        self._plans: dict[tuple[int | None, bool, bool, frozenset[int]], tuple[_Part, ...]] = {}
        self._dated: dict[tuple[object, Anchor, date], tuple[Occurrence, ...]] = {}
        self._generation = calendar.generation

    def with_calendar(self, calendar: WorkCalendar) -> Planner:
        """The same steps and working hours on another calendar (what the plans in force
        were counted on, before a newly loaded holiday schedule)."""
        other = Planner(calendar, hours=self.hours)
        other._steps = dict(self._steps)
        return other

    # ------------------------------------------------------------------ snapshots
    def knows(self, snapshot_id: int) -> bool:
        return snapshot_id in self._steps

    def register(self, snapshot_id: int, steps: Sequence[Step]) -> None:
        # Snapshots are immutable, so a registered one never needs invalidating.
        self._steps[snapshot_id] = tuple(steps)

    def steps(self, snapshot_id: int) -> tuple[Step, ...]:
        return self._steps[snapshot_id]

    def timeline(
        self,
        snapshot_id: int,
        anchors: Anchors,
        *,
        paused: bool,
        listed: bool,
        halted: frozenset[int] = frozenset(),
        memo: bool = True,
    ) -> Timeline:
        """`memo=False` for anchors unlikely to come again soon (the scheduler firing distinct
        cases): remembering each whole timeline would only keep garbage for the collector."""
        if self._generation != self.calendar.generation:  # a year's schedule was loaded
            self._generation = self.calendar.generation
            self._cached.cache_clear()
            self._dated.clear()
        if not memo:
            return self._for_snapshot(snapshot_id, anchors, paused, listed, halted)
        return self._cached(snapshot_id, anchors, paused, listed, halted)

    def _for_snapshot(
        self, snapshot_id: int, anchors: Anchors, paused: bool, listed: bool, halted: frozenset[int]
    ) -> Timeline:
        return self.compute(
            self._steps[snapshot_id],
            anchors,
            paused=paused,
            listed=listed,
            halted=halted,
            snapshot_id=snapshot_id,
        )

    # ------------------------------------------------------------------ computing
    def compute(
        self,
        steps: Sequence[Step],
        anchors: Anchors,
        *,
        paused: bool,
        listed: bool,
        halted: frozenset[int] = frozenset(),
        snapshot_id: int | None = None,
    ) -> Timeline:
        """The occurrences of `steps`, in order; `snapshot_id` (steps registered under it)
        lets the occurrences of fixed-time-of-day steps be memoised per anchor date."""
        plan = (snapshot_id, paused, listed, halted)
        if snapshot_id is None:
            parts = self._parts(steps, paused, listed, halted)
        else:
            parts = self._plans.get(plan) or self._plans.setdefault(
                plan, self._parts(steps, paused, listed, halted)
            )
        out: list[Occurrence] = []
        for anchor, dated, other in parts:
            base = anchors.of(anchor)
            if base is None:
                continue
            if dated and snapshot_id is not None:
                # At `at` on days counted from the anchor's local date, repeating from there:
                # a function of that date alone.
                key = (plan, anchor, base.astimezone(SHANGHAI).date())
                memo = self._dated.get(key)
                if memo is None:
                    if len(self._dated) >= _DATED_MEMO_SIZE:
                        self._dated.clear()
                    memo = self._dated[key] = tuple(
                        o for index, step in dated for o in self.occurrences(step, index, base)
                    )
                out.extend(memo)
            else:
                other = dated + other
            for index, step in other:
                out.extend(self.occurrences(step, index, base))
        out.sort(key=_ORDER)
        return tuple(out)

    @staticmethod
    def _parts(
        steps: Sequence[Step], paused: bool, listed: bool, halted: frozenset[int]
    ) -> tuple[_Part, ...]:
        """The steps a case in this phase runs, by anchor: (anchor, fixed-time-of-day steps,
        the others), each step with its index."""
        phase = PAUSED_ANCHORS if paused else ACTIVE_ANCHORS
        by_anchor: dict[Anchor, tuple[list[tuple[int, Step]], list[tuple[int, Step]]]] = {}
        for index, step in enumerate(steps):
            if index in halted or step.anchor not in phase:
                continue
            if step.only_if is ListingCondition.LISTED and not listed:
                continue
            if step.only_if is ListingCondition.UNLISTED and listed:
                continue
            dated, other = by_anchor.setdefault(step.anchor, ([], []))
            fixed_time = step.at is not None and step.unit in _DAY_UNITS
            (dated if fixed_time else other).append((index, step))
        return tuple((a, tuple(d), tuple(o)) for a, (d, o) in by_anchor.items())

    def occurrences(self, step: Step, index: int, base: datetime) -> tuple[Occurrence, ...]:
        """One step's first firing from `base`, then its repeats (each in working hours,
        unless the step is `immediate`)."""
        awake = step.urgency is not Urgency.IMMEDIATE
        first, provisional = self.shift(base, step.offset, step.unit, step.at)
        if awake:
            first = self.in_working_hours(first)
        if step.repeat is None:
            return (Occurrence(first, index, 0, provisional),)
        out = [Occurrence(first, index, 0, provisional)]
        for k in range(1, step.repeat.count + 1):
            due, prov = self.shift(first, k * step.repeat.every, step.repeat.unit, None)
            if awake:
                due = self.in_working_hours(due)
            out.append(Occurrence(due, index, k, provisional or prov))
        return tuple(out)

    def in_working_hours(self, when: datetime) -> datetime:
        """`when` if a person may be texted then, else the start of the next working hours."""
        local = when.astimezone(SHANGHAI)
        day, moment = local.date(), local.time()
        start, end = self.hours.start, self.hours.end
        if self.calendar.is_workday(day):
            if start <= moment < end:
                return when
            if moment < start:
                return datetime.combine(day, start, tzinfo=SHANGHAI).astimezone(UTC)
        following = self.calendar.add_workdays(day, 1).day
        return datetime.combine(following, start, tzinfo=SHANGHAI).astimezone(UTC)

    def shift(
        self, start: datetime, offset: int, unit: OffsetUnit, at: time | None
    ) -> tuple[datetime, bool]:
        """`start` moved by `offset` units; day offsets land at `at` (local) or start's time."""
        if unit is OffsetUnit.HOURS:
            return (start + timedelta(hours=offset)).astimezone(UTC), False
        if unit is OffsetUnit.MINUTES:
            return (start + timedelta(minutes=offset)).astimezone(UTC), False
        local = start.astimezone(SHANGHAI)
        if unit is OffsetUnit.WORKING_DAYS:
            result = self.calendar.add_workdays(local.date(), offset)
            day, provisional = result.day, result.provisional
        else:
            day, provisional = local.date() + timedelta(days=offset), False
        when = datetime.combine(day, at or local.time(), tzinfo=SHANGHAI)
        return when.astimezone(UTC), provisional


# ---------------------------------------------------------------- cursor arithmetic
def first_due_from(timeline: Timeline, moment: datetime) -> int:
    """Index of the first occurrence due at or after `moment`."""
    return bisect.bisect_left([o.due_at for o in timeline], moment)


def carry_position(old: Timeline, old_cursor: int, new: Timeline) -> int:
    """The cursor in `new` that continues after what was settled in `old`."""
    if old_cursor <= 0 or not old:
        return 0
    last = old[min(old_cursor, len(old)) - 1].key
    return bisect.bisect_right([o.key for o in new], last)


def next_fire_at(timeline: Timeline, cursor: int) -> datetime | None:
    return timeline[cursor].due_at if cursor < len(timeline) else None
