"""The planner's memoised timelines equal freshly computed ones, and follow calendar loads."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from services.escalation.cases.timeline import Anchors, Planner
from services.escalation.config import DEFAULT_POLICIES_DIR
from services.escalation.policy.loader import PolicySet
from shared.calendar import WorkCalendar, YearSchedule


def random_anchors(rnd: random.Random) -> Anchors:
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def moment() -> datetime | None:
        if rnd.random() < 0.1:
            return None
        return start + timedelta(
            seconds=rnd.randrange(400 * 86400), microseconds=rnd.randrange(10**6)
        )

    return Anchors(moment(), moment(), moment(), moment())


def test_memoised_timelines_equal_computed_ones() -> None:
    policies = PolicySet.load(DEFAULT_POLICIES_DIR).policies
    planner, reference = Planner(WorkCalendar()), Planner(WorkCalendar())
    rnd = random.Random(4)
    for snapshot_id, policy in enumerate(policies):
        planner.register(snapshot_id, policy.steps)
        for _ in range(500):  # 2,000 took most of a minute and found nothing more
            anchors = random_anchors(rnd)
            halted = frozenset(rnd.sample(range(len(policy.steps)), rnd.randrange(3)))
            paused, listed = rnd.random() < 0.3, rnd.random() < 0.5
            expected = reference.compute(  # no memo at all
                policy.steps, anchors, paused=paused, listed=listed, halted=halted
            )
            for memo in (True, False):
                got = planner.timeline(
                    snapshot_id, anchors, paused=paused, listed=listed, halted=halted, memo=memo
                )
                assert got == expected


def test_loading_a_year_schedule_replans() -> None:
    general = next(
        p for p in PolicySet.load(DEFAULT_POLICIES_DIR).policies if p.id == "county-general"
    )
    calendar = WorkCalendar()
    planner = Planner(calendar)
    planner.register(1, general.steps)
    # Deadline Friday 2027-03-12 (Shanghai): 3 working days before is Tuesday 03-09.
    anchors = Anchors(deadline_at=datetime(2027, 3, 12, 7, 59, tzinfo=UTC))
    before = planner.timeline(1, anchors, paused=False, listed=False)
    assert before[0].due_at == datetime(2027, 3, 9, 1, 0, tzinfo=UTC) and before[0].provisional
    calendar.load_year(
        YearSchedule(year=2027, holidays=[date(2027, 3, 9)], workdays=[], source="test")
    )
    after = planner.timeline(1, anchors, paused=False, listed=False, memo=False)
    assert after[0].due_at == datetime(2027, 3, 8, 1, 0, tzinfo=UTC) and not after[0].provisional
    assert planner.timeline(1, anchors, paused=False, listed=False) == after
