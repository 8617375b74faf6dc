"""What hazard and notification events do to cases: start, re-plan, pause, resume, stop.

Every change re-plans the case from its frozen steps, moves the cursor, bumps the fencing
token and writes a `CaseChanged` event to the outbox in the consumer's transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation import schedules
from services.escalation.accidents import alerts as accident_alerts
from services.escalation.accidents import clocks as accident_clocks
from services.escalation.cases import acks, anchors, service
from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import Case, CaseState, CaseTimer
from services.escalation.cases.timeline import (
    Planner,
    Timeline,
    carry_position,
    first_due_from,
    next_fire_at,
)
from services.escalation.db import outbox_tables
from services.escalation.policy.loader import PolicySet
from services.escalation.policy.models import (
    Anchor,
    ListingCondition,
    Policy,
    StopCondition,
)
from services.escalation.policy.service import ensure_registered
from services.escalation.tasks.raisers import RAISERS
from shared.clock import Clock
from shared.contract import (
    ESCALATION_EVENTS,
    AccidentEvent,
    CalendarScheduleLoaded,
    CaseChanged,
    Envelope,
    HazardEvent,
    HazardEventType,
    HazardFacts,
    HazardStatus,
    NotificationChanged,
    Producer,
)
from shared.outbox import add_event

log = logging.getLogger(__name__)

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


class CaseFlows:
    def __init__(
        self,
        *,
        policies: PolicySet,
        snapshot_ids: dict[str, int],
        planner: Planner,
        clock: Clock,
        on_due: Callable[[], None] | None = None,
        accident_policy: Policy | None = None,
    ) -> None:
        self.policies = policies
        # The accident clocks' policy (#15); its snapshot id is in `snapshot_ids` too.
        self.accident_policy = accident_policy
        self.snapshot_ids = snapshot_ids
        self.planner = planner
        self.clock = clock
        # Called after the commit of a plan whose next step is already due (wakes the scheduler).
        self.on_due = on_due

    async def handle(self, session: AsyncSession, envelope: Envelope) -> None:
        """Consumer handler for `hazard.events`, `notification.events`, `org.events`,
        `accident.events` (accidents, suspensions, campaigns) and `reporting.events`."""
        payload = envelope.typed_payload()
        if isinstance(payload, HazardEvent):
            await self.on_hazard_event(session, payload, at=envelope.occurred_at)
        elif isinstance(payload, NotificationChanged):
            await acks.on_notification(self, session, payload)
        elif isinstance(payload, CalendarScheduleLoaded):
            await schedules.on_loaded(self, session, payload)
        elif isinstance(payload, AccidentEvent):
            await accident_alerts.on_accident(
                session, payload, event_id=str(envelope.event_id), now=self.clock.now()
            )
            await accident_clocks.on_accident(self, session, payload, at=envelope.occurred_at)
        elif (raiser := RAISERS.get(type(payload))) is not None:
            # A failed notice, an issued 督办函, a campaign, a reporting alert: tasks.
            await raiser(session, payload, event_id=str(envelope.event_id), now=self.clock.now())
        # Other `org.events` (the directory) are notification's business.

    # ------------------------------------------------------------------ hazard events
    async def on_hazard_event(
        self, session: AsyncSession, event: HazardEvent, *, at: datetime
    ) -> None:
        facts = event.facts
        case = await service.get_case(session=session, hazard_id=facts.hazard_id, for_update=True)
        if case is None:
            if event.event in ENDING_EVENTS or facts.status in NO_CASE_STATUSES:
                return
            case = await self.start(session, facts, at=at, kind=event.event)
            if case is not None and facts.status is HazardStatus.RECTIFICATION_REPORTED:
                await self._pause(session, case, facts, at=at)
            return
        await ensure_registered(session=session, planner=self.planner, snapshot_id=case.snapshot_id)
        if case.state == CaseState.STOPPED:
            case.facts = facts.model_dump_json()
            return
        if event.event in ENDING_EVENTS or facts.status in ENDED_STATUSES:
            self._absorb(case, facts, kind=event.event, at=at)
            await self.stop(session, case, reason=event.event.value)
            return
        if event.event in SELECTING_EVENTS:
            policy = self.policies.select(facts)
            if policy is not None and policy.id != case.policy_id:
                await self._switch(session, case, facts, policy, kind=event.event, at=at)
                return
        old_timeline, old_cursor = timeline_of(self.planner, case), case.cursor
        old_halted = list(case.halted)
        deadline_moved = facts.deadline_at != case.deadline_at
        acceptance_moved = (facts.rectification_reported_at, facts.acceptance_due_at) != (
            case.rectification_reported_at,
            case.acceptance_due_at,
        )
        self._absorb(case, facts, kind=event.event, at=at)
        if event.event is HazardEventType.ACCEPTED or facts.status is HazardStatus.ACCEPTED:
            await self._accepted(session, case, at=at, reason=event.event.value)
        elif event.event is HazardEventType.RECTIFICATION_REPORTED:
            await self._pause(session, case, facts, at=at)
        elif event.event is HazardEventType.ACCEPTANCE_FAILED and case.state == CaseState.PAUSED:
            if deadline_moved:  # a new deadline for the re-rectification: plan from now
                case.paused_at = at
            await self._resume(session, case)
        elif case.state == CaseState.PAUSED:
            if deadline_moved:  # the ladder will restart from the new deadline on resume
                case.paused_at = at
            new_timeline = timeline_of(self.planner, case)
            if acceptance_moved or new_timeline != old_timeline:
                case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
                await self.commit_plan(session, case, new_timeline, reason="replanned")
        elif deadline_moved or event.event is HazardEventType.EXTENSION_APPROVED:
            await self.replan(session, case, reason="rebaselined", cursor_from=at)
        else:
            # Listing, classification, publication, an extension request or its refusal:
            # the clocks these start or stop join the plan; what was settled stays settled.
            new_timeline = timeline_of(self.planner, case)
            if new_timeline != old_timeline or case.halted != old_halted:
                case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
                await self.commit_plan(session, case, new_timeline, reason="replanned")

    async def start(
        self,
        session: AsyncSession,
        facts: HazardFacts,
        *,
        at: datetime,
        kind: HazardEventType | None = None,
    ) -> Case | None:
        policy = self.policies.select(facts)
        if policy is None:
            log.info("hazard %s: no policy applies (level %s)", facts.hazard_id, facts.level)
            return None
        case = self.new_case(facts.hazard_id, policy, at=at)
        self._absorb(case, facts, kind=kind, at=at)
        session.add(case)
        await self.replan(session, case, reason="started", cursor_from=at)
        return case

    def new_case(self, subject_id: str, policy: Policy, *, at: datetime) -> Case:
        """A case for a hazard (or an accident: `subject_id`) under `policy`, not yet planned."""
        now = self.clock.now()
        return Case(
            id=str(uuid.uuid4()),
            hazard_id=subject_id,
            snapshot_id=self.snapshot_ids[policy.id],
            policy_id=policy.id,
            policy_version=policy.version,
            state=CaseState.ACTIVE.value,
            halted=[],
            history=[anchors.period(policy.id, policy.version, at, "started")],
            timer=CaseTimer(fence=0, cursor=0, fired_count=0),
            started_at=now,
            updated_at=now,
        )

    def _absorb(
        self, case: Case, facts: HazardFacts, *, kind: HazardEventType | None, at: datetime
    ) -> None:
        known = self.planner.knows(case.snapshot_id)
        steps = self.planner.steps(case.snapshot_id) if known else None
        anchors.absorb(case, facts, kind=kind, at=at, steps=steps)

    # ------------------------------------------------------------------ transitions
    async def replan(
        self,
        session: AsyncSession,
        case: Case,
        *,
        reason: str,
        cursor_from: datetime,
        previous: tuple[str, int] | None = None,
    ) -> None:
        """Steps due before `cursor_from` are past for this plan and do not fire."""
        timeline = timeline_of(self.planner, case)
        case.cursor = first_due_from(timeline, cursor_from)
        await self.commit_plan(session, case, timeline, reason=reason, previous=previous)

    async def _pause(
        self, session: AsyncSession, case: Case, facts: HazardFacts, *, at: datetime
    ) -> None:
        if case.state != CaseState.ACTIVE:
            return
        if case.rectification_reported_at is None:
            case.rectification_reported_at = at
        steps = self.planner.steps(case.snapshot_id)
        rectified = anchors.indexes(steps, StopCondition.RECTIFIED)
        case.halted = sorted(set(case.halted) | rectified)
        case.state = CaseState.PAUSED.value
        case.paused_at = at
        await self.replan(session, case, reason="paused", cursor_from=at)

    async def _resume(self, session: AsyncSession, case: Case) -> None:
        resume_from = case.paused_at or self.clock.now()
        case.state = CaseState.ACTIVE.value
        case.paused_at = None
        # Ladder steps that fell due during the pause fire now: the hazard is still unfixed.
        await self.replan(session, case, reason="resumed", cursor_from=resume_from)

    async def stop(self, session: AsyncSession, case: Case, *, reason: str) -> None:
        case.state = CaseState.STOPPED.value
        await self.commit_plan(session, case, (), reason=f"stopped: {reason}")

    async def _accepted(
        self, session: AsyncSession, case: Case, *, at: datetime, reason: str
    ) -> None:
        """Accepted: the case waits for the close with its delisting clock, if it has one."""
        steps = self.planner.steps(case.snapshot_id)
        delisting = [
            s
            for s in steps
            if s.anchor is Anchor.ACCEPTED
            and not (s.only_if is ListingCondition.LISTED and not case.listed)
            and not (s.only_if is ListingCondition.UNLISTED and case.listed)
        ]
        if not delisting:
            await self.stop(session, case, reason=reason)
            return
        case.halted = sorted(set(case.halted) | anchors.indexes(steps, StopCondition.RECTIFIED))
        case.state = CaseState.PAUSED.value
        case.paused_at = case.paused_at or at
        await self.replan(session, case, reason="accepted", cursor_from=at)

    async def _switch(
        self,
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
        case.snapshot_id = self.snapshot_ids[policy.id]
        case.policy_id, case.policy_version = policy.id, policy.version
        await ensure_registered(session=session, planner=self.planner, snapshot_id=case.snapshot_id)
        steps = self.planner.steps(case.snapshot_id)
        # Step indexes belong to the old steps; what carries over is what the facts say.
        case.halted = (
            sorted(anchors.indexes(steps, StopCondition.RECTIFIED))
            if case.state == CaseState.PAUSED
            else []
        )
        self._absorb(case, facts, kind=kind, at=at)
        case.history = [*case.history, anchors.period(policy.id, policy.version, at, kind.value)]
        reason = f"policy switched: {previous[0]} v{previous[1]} -> {policy.id} v{policy.version}"
        await self.replan(session, case, reason=reason, cursor_from=at, previous=previous)

    async def commit_plan(
        self,
        session: AsyncSession,
        case: Case,
        timeline: Timeline,
        *,
        reason: str,
        previous: tuple[str, int] | None = None,
    ) -> None:
        now = self.clock.now()
        case.next_fire_at = next_fire_at(timeline, case.cursor)
        case.fence += 1
        case.updated_at = now
        await session.flush()
        on_due = self.on_due
        if on_due is not None and case.next_fire_at is not None and case.next_fire_at <= now:
            event.listen(session.sync_session, "after_commit", lambda _s: on_due(), once=True)
        changed = CaseChanged(
            case_id=case.id,
            hazard_id=case.hazard_id,
            state=case.state,
            policy_id=case.policy_id,
            policy_version=case.policy_version,
            next_fire_at=case.next_fire_at,
            reason=reason,
            previous_policy_id=previous[0] if previous else None,
            previous_policy_version=previous[1] if previous else None,
        )
        envelope = Envelope.of(
            changed, aggregate_id=case.hazard_id, producer=Producer.ESCALATION, occurred_at=now
        )
        await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)
