"""What events do to cases: the handler that routes each event, and the machinery every change
goes through (start, re-plan, stop, commit the plan). What hazard events do is in
`hazard_events.py`, acknowledgements in `acks.py`.

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
from services.escalation.cases import acks, anchors, hazard_events
from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import Case, CaseState, CaseTimer
from services.escalation.cases.timeline import Planner, Timeline, first_due_from, next_fire_at
from services.escalation.db import outbox_tables
from services.escalation.policy.loader import PolicySet
from services.escalation.policy.models import Policy
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
    NotificationChanged,
    Producer,
)
from shared.outbox import add_event

log = logging.getLogger(__name__)


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
            await hazard_events.on_hazard_event(self, session, payload, at=envelope.occurred_at)
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
            # A failed notice, an issued 督办函, a campaign, a 停产整顿 order, a reporting alert.
            await raiser(session, payload, event_id=str(envelope.event_id), now=self.clock.now())
        # Other `org.events` (the directory) are notification's business.

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
        self.absorb(case, facts, kind=kind, at=at)
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

    def absorb(
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

    async def stop(self, session: AsyncSession, case: Case, *, reason: str) -> None:
        case.state = CaseState.STOPPED.value
        await self.commit_plan(session, case, (), reason=f"stopped: {reason}")

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
            facts=HazardFacts.model_validate_json(case.facts) if case.facts else None,
        )
        envelope = Envelope.of(
            changed, aggregate_id=case.hazard_id, producer=Producer.ESCALATION, occurred_at=now
        )
        await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)
