"""What a hazard's facts say about its case's clocks.

Each clock's anchor is set only while that clock runs, so a clock stops by its anchor going
away: the classification chase ends with the classification, the extension chase with the
decision, the acceptance chase with the acceptance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.escalation.cases import service
from services.escalation.cases.models import Case, CaseState
from services.escalation.cases.timeline import Planner, Timeline
from services.escalation.policy.models import Step, StopCondition
from shared.contract import HazardEventType, HazardFacts, HazardStatus

# A deadline set by these is not a new rectification order (it extends the old one, or counts
# it again on the official holiday schedule).
NOT_AN_ORDER = frozenset({HazardEventType.EXTENSION_APPROVED, HazardEventType.DEADLINE_RECOMPUTED})
EXTENSION_DECIDED = frozenset(
    {HazardEventType.EXTENSION_APPROVED, HazardEventType.EXTENSION_REJECTED}
)


def timeline_of(planner: Planner, case: Case) -> Timeline:
    """The case's timeline as its anchors, phase, listing and halted steps make it now."""
    return planner.timeline(
        case.snapshot_id,
        service.anchors_of(case),
        paused=case.state == CaseState.PAUSED,
        listed=case.listed,
        halted=frozenset(case.halted),
    )


def absorb(
    case: Case,
    facts: HazardFacts,
    *,
    kind: HazardEventType | None,
    at: datetime,
    steps: Sequence[Step] | None,
) -> None:
    """Take the hazard's facts as of this event (`at`, of kind `kind`) onto the case."""
    deadline_moved = facts.deadline_at != case.deadline_at
    case.facts = facts.model_dump_json()
    case.deadline_at = facts.deadline_at
    case.classified_at = facts.classified_at
    case.listed = facts.listing_level is not None
    # While paused the acceptance clock needs its anchor even if an event leaves it out.
    keep = case.state == CaseState.PAUSED
    case.rectification_reported_at = facts.rectification_reported_at or (
        case.rectification_reported_at if keep else None
    )
    case.acceptance_due_at = facts.acceptance_due_at or (case.acceptance_due_at if keep else None)
    case.reported_at = (
        (facts.reported_at or case.reported_at or at) if facts.level is None else None
    )
    if facts.deadline_at is None:
        case.ordered_at = None
    elif deadline_moved and kind not in NOT_AN_ORDER:
        case.ordered_at = at  # the order (with its deadline) is given now
    raised = kind is HazardEventType.LISTING_RAISED
    case.listed_at = (
        (facts.listed_at or (None if raised else case.listed_at) or at) if case.listed else None
    )
    if kind in EXTENSION_DECIDED:
        case.extension_requested_at = None
    elif kind is HazardEventType.EXTENSION_REQUESTED:
        case.extension_requested_at = facts.extension_requested_at or at
    else:
        case.extension_requested_at = facts.extension_requested_at
    accepted = facts.status is HazardStatus.ACCEPTED or kind is HazardEventType.ACCEPTED
    case.accepted_at = (facts.accepted_at or case.accepted_at or at) if accepted else None
    if steps is not None:
        sync_published(case, steps, facts.listing_published_at is not None)


def sync_published(case: Case, steps: Sequence[Step], published: bool) -> None:
    """The publication chase ends with publication; a raised listing is published anew."""
    chase = indexes(steps, StopCondition.PUBLISHED)
    halted = set(case.halted) - chase
    case.halted = sorted(halted | chase if published else halted)


def indexes(steps: Sequence[Step], stop: StopCondition) -> set[int]:
    return {i for i, s in enumerate(steps) if s.stop is stop}


def period(policy_id: str, version: int, at: datetime, reason: str) -> dict[str, object]:
    """One entry of a case's policy history."""
    return {
        "policy_id": policy_id,
        "policy_version": version,
        "since": at.isoformat(),
        "reason": reason,
    }
