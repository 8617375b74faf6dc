"""What hazard events do to a hazard's case: start, re-plan, pause, resume, accept, switch
policy, stop. The machinery every change goes through (re-plan, commit the plan) is
`CaseFlows`'s."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import anchors, service
from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import Case, CaseState
from services.escalation.cases.timeline import carry_position
from services.escalation.policy.models import Anchor, ListingCondition, Policy, StopCondition
from services.escalation.policy.service import ensure_registered
from shared.contract import HazardEvent, HazardEventType, HazardFacts, HazardStatus

if TYPE_CHECKING:
    from services.escalation.cases.flows import CaseFlows

# Closing (销号) and voiding (作废) end a case; acceptance ends it only when its policy has
# a delisting clock (`anchor: accepted`) to run until the close.
ENDING_EVENTS = frozenset({HazardEventType.CLOSED, HazardEventType.VOIDED})
ENDED_STATUSES = frozenset({HazardStatus.CLOSED, HazardStatus.VOIDED})
NO_CASE_STATUSES = ENDED_STATUSES | {HazardStatus.ACCEPTED}
# Events after which the applicable policy is chosen again (level, listing or state changed).
SELECTING_EVENTS = frozenset(
    {
        HazardEventType.CLASSIFIED,
        HazardEventType.LISTED,
        HazardEventType.LISTING_RAISED,
        HazardEventType.RECLASSIFIED,
    }
)


async def on_hazard_event(
    flows: CaseFlows, session: AsyncSession, event: HazardEvent, *, at: datetime
) -> None:
    facts = event.facts
    case = await service.get_case(session=session, hazard_id=facts.hazard_id, for_update=True)
    if case is None:
        if event.event in ENDING_EVENTS or facts.status in NO_CASE_STATUSES:
            return
        case = await flows.start(session, facts, at=at, kind=event.event)
        if case is not None and facts.status is HazardStatus.RECTIFICATION_REPORTED:
            await _pause(flows, session, case, facts, at=at)
        return
    await ensure_registered(session=session, planner=flows.planner, snapshot_id=case.snapshot_id)
    if case.state == CaseState.STOPPED:
        case.facts = facts.model_dump_json()
        return
    if event.event in ENDING_EVENTS or facts.status in ENDED_STATUSES:
        flows.absorb(case, facts, kind=event.event, at=at)
        await flows.stop(session, case, reason=event.event.value)
        return
    if event.event in SELECTING_EVENTS:
        policy = flows.policies.select(facts)
        if policy is not None and policy.id != case.policy_id:
            await _switch(flows, session, case, facts, policy, kind=event.event, at=at)
            return
    old_timeline, old_cursor = timeline_of(flows.planner, case), case.cursor
    old_halted = list(case.halted)
    deadline_moved = facts.deadline_at != case.deadline_at
    acceptance_moved = (facts.rectification_reported_at, facts.acceptance_due_at) != (
        case.rectification_reported_at,
        case.acceptance_due_at,
    )
    flows.absorb(case, facts, kind=event.event, at=at)
    if event.event is HazardEventType.ACCEPTED or facts.status is HazardStatus.ACCEPTED:
        await _accepted(flows, session, case, at=at, reason=event.event.value)
    elif event.event is HazardEventType.RECTIFICATION_REPORTED:
        await _pause(flows, session, case, facts, at=at)
    elif event.event is HazardEventType.ACCEPTANCE_FAILED and case.state == CaseState.PAUSED:
        if deadline_moved:  # a new deadline for the re-rectification: plan from now
            case.paused_at = at
        await _resume(flows, session, case)
    elif case.state == CaseState.PAUSED:
        if deadline_moved:  # the ladder will restart from the new deadline on resume
            case.paused_at = at
        new_timeline = timeline_of(flows.planner, case)
        if acceptance_moved or new_timeline != old_timeline:
            case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
            await flows.commit_plan(session, case, new_timeline, reason="replanned")
    elif deadline_moved or event.event is HazardEventType.EXTENSION_APPROVED:
        await flows.replan(session, case, reason="rebaselined", cursor_from=at)
    else:
        # Listing, classification, publication, an extension request or its refusal:
        # the clocks these start or stop join the plan; what was settled stays settled.
        new_timeline = timeline_of(flows.planner, case)
        if new_timeline != old_timeline or case.halted != old_halted:
            case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
            await flows.commit_plan(session, case, new_timeline, reason="replanned")


async def _pause(
    flows: CaseFlows, session: AsyncSession, case: Case, facts: HazardFacts, *, at: datetime
) -> None:
    if case.state != CaseState.ACTIVE:
        return
    if case.rectification_reported_at is None:
        case.rectification_reported_at = at
    steps = flows.planner.steps(case.snapshot_id)
    rectified = anchors.indexes(steps, StopCondition.RECTIFIED)
    case.halted = sorted(set(case.halted) | rectified)
    case.state = CaseState.PAUSED.value
    case.paused_at = at
    await flows.replan(session, case, reason="paused", cursor_from=at)


async def _resume(flows: CaseFlows, session: AsyncSession, case: Case) -> None:
    resume_from = case.paused_at or flows.clock.now()
    case.state = CaseState.ACTIVE.value
    case.paused_at = None
    # Ladder steps that fell due during the pause fire now: the hazard is still unfixed.
    await flows.replan(session, case, reason="resumed", cursor_from=resume_from)


async def _accepted(
    flows: CaseFlows, session: AsyncSession, case: Case, *, at: datetime, reason: str
) -> None:
    """Accepted: the case waits for the close with its delisting clock, if it has one."""
    steps = flows.planner.steps(case.snapshot_id)
    delisting = [
        s
        for s in steps
        if s.anchor is Anchor.ACCEPTED
        and not (s.only_if is ListingCondition.LISTED and not case.listed)
        and not (s.only_if is ListingCondition.UNLISTED and case.listed)
    ]
    if not delisting:
        await flows.stop(session, case, reason=reason)
        return
    case.halted = sorted(set(case.halted) | anchors.indexes(steps, StopCondition.RECTIFIED))
    case.state = CaseState.PAUSED.value
    case.paused_at = case.paused_at or at
    await flows.replan(session, case, reason="accepted", cursor_from=at)


async def _switch(
    flows: CaseFlows,
    session: AsyncSession,
    case: Case,
    facts: HazardFacts,
    policy: Policy,
    *,
    kind: HazardEventType,
    at: datetime,
) -> None:
    """Re-selection: the case runs under another policy from now on (re-baselined); its
    history keeps both versions."""
    previous = (case.policy_id, case.policy_version)
    case.snapshot_id = flows.snapshot_ids[policy.id]
    case.policy_id, case.policy_version = policy.id, policy.version
    await ensure_registered(session=session, planner=flows.planner, snapshot_id=case.snapshot_id)
    steps = flows.planner.steps(case.snapshot_id)
    # Step indexes belong to the old steps; what carries over is what the facts say.
    case.halted = (
        sorted(anchors.indexes(steps, StopCondition.RECTIFIED))
        if case.state == CaseState.PAUSED
        else []
    )
    flows.absorb(case, facts, kind=kind, at=at)
    case.history = [*case.history, anchors.period(policy.id, policy.version, at, kind.value)]
    reason = f"policy switched: {previous[0]} v{previous[1]} -> {policy.id} v{policy.version}"
    await flows.replan(session, case, reason=reason, cursor_from=at, previous=previous)
