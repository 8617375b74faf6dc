"""Hazard stories for the county-practice rules: events as hazard_api publishes them.

Each story is played twice in the tests: through `POST /simulate` and through the real chain
(the events on the broker, escalation's consumer and scheduler, `escalation.step_fired` out).
Dates are in March–May 2026 (清明 4–6 April, 劳动节 1–5 May, make-up working Saturday 9 May).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.contract import (
    HazardEventType,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    ListingLevel,
)
from tests.escalation.conftest import end_of_day, make_facts, sh

E = HazardEventType


@dataclass(frozen=True)
class Beat:
    at: datetime
    event: HazardEventType
    facts: HazardFacts


@dataclass
class Story:
    """A hazard's events; `facts` is its current state, each beat updates it."""

    hazard_id: str
    facts: HazardFacts
    beats: list[Beat] = field(default_factory=list)

    def then(self, at: datetime, event: HazardEventType, **changes: Any) -> Story:
        self.facts = self.facts.model_copy(update=changes)
        self.beats.append(Beat(at, event, self.facts))
        return self

    def json_events(self) -> list[dict[str, Any]]:
        return [
            {
                "at": b.at.isoformat(),
                "event": b.event.value,
                "facts": b.facts.model_dump(mode="json"),
            }
            for b in self.beats
        ]


def reported(at: datetime, **overrides: Any) -> Story:
    facts = make_facts(
        status=HazardStatus.REPORTED,
        level=None,
        reported_at=at,
        deadline_kind=None,
        source="inspection",
        **overrides,
    )
    return Story(facts.hazard_id, facts).then(at, E.REPORTED)


def classify(story: Story, at: datetime, level: HazardLevel, deadline: datetime) -> Story:
    grade = 3 if level is HazardLevel.MAJOR else None
    return story.then(
        at,
        E.CLASSIFIED,
        status=HazardStatus.RECTIFYING,
        level=level,
        grade=grade,
        classified_at=at,
        deadline_at=deadline,
    )


def listed(story: Story, at: datetime, *, published: bool = False) -> Story:
    return story.then(
        at,
        E.LISTED,
        listing_level=ListingLevel.COUNTY,
        listing_body_id="county-office",
        listed_at=at,
        listing_published_at=at if published else None,
    )


def golden_major() -> Story:
    """A county-listed major hazard from its report to its close (the README walkthrough)."""
    story = reported(
        sh(2026, 3, 2, 10, 0), description="液氨储罐区可燃气体报警仪失效", code="YH20260302-0002"
    )
    classify(story, sh(2026, 3, 3, 10, 0), HazardLevel.MAJOR, end_of_day(2026, 3, 27))
    listed(story, sh(2026, 3, 4, 10, 0))
    story.then(
        sh(2026, 3, 10, 11, 0), E.LISTING_PUBLISHED, listing_published_at=sh(2026, 3, 10, 11, 0)
    )
    story.then(
        sh(2026, 3, 16, 10, 0),
        E.EXTENSION_REQUESTED,
        extension_requested_at=sh(2026, 3, 16, 10, 0),
    )
    story.then(
        sh(2026, 3, 26, 10, 0),
        E.EXTENSION_APPROVED,
        extension_requested_at=None,
        deadline_at=end_of_day(2026, 4, 10),
    )
    story.then(
        sh(2026, 6, 1, 15, 0),
        E.RECTIFICATION_REPORTED,
        status=HazardStatus.RECTIFICATION_REPORTED,
        rectification_reported_at=sh(2026, 6, 1, 15, 0),
    )
    story.then(
        sh(2026, 6, 10, 16, 0),
        E.ACCEPTED,
        status=HazardStatus.ACCEPTED,
        accepted_at=sh(2026, 6, 10, 16, 0),
    )
    story.then(sh(2026, 6, 16, 10, 0), E.CLOSED, status=HazardStatus.CLOSED)
    return story


def golden_general() -> Story:
    """A general hazard found by a township inspector: chased to classification, ordered,
    overdue (and repeated), reported fixed, accepted after the day-7 chase, closed."""
    story = reported(sh(2026, 3, 2, 10, 0), code="YH20260302-0001")
    classify(story, sh(2026, 3, 9, 15, 0), HazardLevel.GENERAL, end_of_day(2026, 3, 20))
    story.then(
        sh(2026, 5, 6, 10, 0),
        E.RECTIFICATION_REPORTED,
        status=HazardStatus.RECTIFICATION_REPORTED,
        rectification_reported_at=sh(2026, 5, 6, 10, 0),
    )
    story.then(
        sh(2026, 5, 18, 11, 0),
        E.ACCEPTED,
        status=HazardStatus.ACCEPTED,
        accepted_at=sh(2026, 5, 18, 11, 0),
    )
    return story
