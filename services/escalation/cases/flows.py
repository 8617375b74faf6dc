"""What hazard and notification events do to cases: start, re-plan, pause, resume, stop.

Every change re-plans the case from its frozen steps, moves the cursor, bumps the fencing
token and writes a `CaseChanged` event to the outbox in the consumer's transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import service
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
from services.escalation.policy.models import StopCondition
from services.escalation.policy.service import ensure_registered
from shared.clock import Clock
from shared.contract import (
    ESCALATION_EVENTS,
    CaseChanged,
    Envelope,
    HazardEvent,
    HazardEventType,
    HazardFacts,
    HazardStatus,
    NotificationChanged,
    NotificationStatus,
    Producer,
    StepFired,
)
from shared.outbox import add_event

log = logging.getLogger(__name__)

ENDING_EVENTS = frozenset({HazardEventType.ACCEPTED, HazardEventType.CLOSED})
ENDED_STATUSES = frozenset({HazardStatus.ACCEPTED, HazardStatus.CLOSED})


def timeline_of(planner: Planner, case: Case) -> Timeline:
    return planner.timeline(
        case.snapshot_id,
        service.anchors_of(case),
        paused=case.state == CaseState.PAUSED,
        listed=case.listed,
        halted=frozenset(case.halted),
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
    ) -> None:
        self.policies = policies
        self.snapshot_ids = snapshot_ids
        self.planner = planner
        self.clock = clock
        # Called after the commit of a plan whose next step is already due (wakes the scheduler).
        self.on_due = on_due

    async def handle(self, session: AsyncSession, envelope: Envelope) -> None:
        """Consumer handler for `hazard.events` and `notification.events`."""
        payload = envelope.typed_payload()
        if isinstance(payload, HazardEvent):
            await self.on_hazard_event(session, payload, at=envelope.occurred_at)
        elif isinstance(payload, NotificationChanged):
            await self.on_notification(session, payload)

    # ------------------------------------------------------------------ hazard events
    async def on_hazard_event(
        self, session: AsyncSession, event: HazardEvent, *, at: datetime
    ) -> None:
        facts = event.facts
        case = await service.get_case(session=session, hazard_id=facts.hazard_id, for_update=True)
        if case is None:
            if event.event in ENDING_EVENTS or facts.status in ENDED_STATUSES:
                return
            case = await self.start(session, facts, at=at)
            if case is not None and facts.status is HazardStatus.RECTIFICATION_REPORTED:
                await self._pause(session, case, facts, at=at)
            return
        await ensure_registered(session=session, planner=self.planner, snapshot_id=case.snapshot_id)
        if case.state == CaseState.STOPPED:
            case.facts = facts.model_dump_json()
            return
        old_timeline, old_cursor = timeline_of(self.planner, case), case.cursor
        deadline_moved = facts.deadline_at != case.deadline_at
        listing_changed = (facts.listing_level is not None) != case.listed
        classified_moved = facts.classified_at != case.classified_at
        acceptance_moved = (facts.rectification_reported_at, facts.acceptance_due_at) != (
            case.rectification_reported_at,
            case.acceptance_due_at,
        )
        self._absorb(case, facts)
        if event.event in ENDING_EVENTS or facts.status in ENDED_STATUSES:
            await self._stop(session, case, reason=event.event.value)
        elif event.event is HazardEventType.RECTIFICATION_REPORTED:
            await self._pause(session, case, facts, at=at)
        elif event.event is HazardEventType.ACCEPTANCE_FAILED and case.state == CaseState.PAUSED:
            if deadline_moved:  # a new deadline for the re-rectification: plan from now
                case.paused_at = at
            await self._resume(session, case)
        elif case.state == CaseState.PAUSED:
            if deadline_moved:  # the ladder will restart from the new deadline on resume
                case.paused_at = at
            if acceptance_moved:
                new_timeline = timeline_of(self.planner, case)
                case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
                await self._commit_plan(session, case, new_timeline, reason="replanned")
        elif deadline_moved or event.event is HazardEventType.EXTENSION_APPROVED:
            await self._replan(session, case, reason="rebaselined", cursor_from=at)
        elif listing_changed or classified_moved:
            new_timeline = timeline_of(self.planner, case)
            case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
            await self._commit_plan(session, case, new_timeline, reason="replanned")

    async def start(
        self, session: AsyncSession, facts: HazardFacts, *, at: datetime
    ) -> Case | None:
        policy = self.policies.select(facts)
        if policy is None:
            log.info("hazard %s: no policy applies (level %s)", facts.hazard_id, facts.level)
            return None
        now = self.clock.now()
        case = Case(
            id=str(uuid.uuid4()),
            hazard_id=facts.hazard_id,
            snapshot_id=self.snapshot_ids[policy.id],
            policy_id=policy.id,
            policy_version=policy.version,
            state=CaseState.ACTIVE.value,
            halted=[],
            timer=CaseTimer(fence=0, cursor=0, fired_count=0),
            started_at=now,
            updated_at=now,
        )
        self._absorb(case, facts)
        session.add(case)
        await self._replan(session, case, reason="started", cursor_from=at)
        return case

    @staticmethod
    def _absorb(case: Case, facts: HazardFacts) -> None:
        case.facts = facts.model_dump_json()
        case.deadline_at = facts.deadline_at
        case.classified_at = facts.classified_at
        case.listed = facts.listing_level is not None
        # While paused the acceptance clock needs its anchor even if an event leaves it out.
        keep = case.state == CaseState.PAUSED
        case.rectification_reported_at = facts.rectification_reported_at or (
            case.rectification_reported_at if keep else None
        )
        case.acceptance_due_at = facts.acceptance_due_at or (
            case.acceptance_due_at if keep else None
        )

    # ------------------------------------------------------------------ transitions
    async def _replan(
        self, session: AsyncSession, case: Case, *, reason: str, cursor_from: datetime
    ) -> None:
        """Steps due before `cursor_from` are past for this plan and do not fire."""
        timeline = timeline_of(self.planner, case)
        case.cursor = first_due_from(timeline, cursor_from)
        await self._commit_plan(session, case, timeline, reason=reason)

    async def _pause(
        self, session: AsyncSession, case: Case, facts: HazardFacts, *, at: datetime
    ) -> None:
        if case.state != CaseState.ACTIVE:
            return
        if case.rectification_reported_at is None:
            case.rectification_reported_at = at
        steps = self.planner.steps(case.snapshot_id)
        rectified = {i for i, s in enumerate(steps) if s.stop is StopCondition.RECTIFIED}
        case.halted = sorted(set(case.halted) | rectified)
        case.state = CaseState.PAUSED.value
        case.paused_at = at
        await self._replan(session, case, reason="paused", cursor_from=at)

    async def _resume(self, session: AsyncSession, case: Case) -> None:
        resume_from = case.paused_at or self.clock.now()
        case.state = CaseState.ACTIVE.value
        case.paused_at = None
        # Ladder steps that fell due during the pause fire now: the hazard is still unfixed.
        await self._replan(session, case, reason="resumed", cursor_from=resume_from)

    async def _stop(self, session: AsyncSession, case: Case, *, reason: str) -> None:
        case.state = CaseState.STOPPED.value
        await self._commit_plan(session, case, (), reason=f"stopped: {reason}")

    async def _commit_plan(
        self, session: AsyncSession, case: Case, timeline: Timeline, *, reason: str
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
        )
        envelope = Envelope.of(
            changed, aggregate_id=case.hazard_id, producer=Producer.ESCALATION, occurred_at=now
        )
        await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)

    # ------------------------------------------------------------------ acknowledgements
    async def on_notification(self, session: AsyncSession, change: NotificationChanged) -> None:
        """An acknowledged notice ends the repeats of the step that asked for it."""
        if change.status is not NotificationStatus.ACKNOWLEDGED:
            return
        o = outbox_tables.outbox
        raw = await session.scalar(select(o.c.value).where(o.c.event_id == change.request_event_id))
        if raw is None:
            return
        request = Envelope.parse_message(raw.encode())
        fired = request.typed_payload()
        if not isinstance(fired, StepFired):
            return
        case = await service.get_case_by_id(session=session, case_id=fired.case_id, for_update=True)
        if case is None or case.state == CaseState.STOPPED:
            return
        await ensure_registered(session=session, planner=self.planner, snapshot_id=case.snapshot_id)
        steps = self.planner.steps(case.snapshot_id)
        index = fired.step_index
        if index >= len(steps) or steps[index].key != fired.step_key:
            return
        if steps[index].stop is not StopCondition.ACKNOWLEDGED or index in case.halted:
            return
        old_timeline, old_cursor = timeline_of(self.planner, case), case.cursor
        case.halted = sorted({*case.halted, index})
        new_timeline = timeline_of(self.planner, case)
        case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
        await self._commit_plan(
            session, case, new_timeline, reason=f"acknowledged: {fired.step_key}"
        )
