"""A story played through the real flows and scheduler on a scratch database, with a moved
clock: what each step of a policy does to one hazard, from its report to its close.

The same code as production runs (case flows, planner, scheduler, tasks), so what a county
official tries here is what the service will do; only the database is a throwaway SQLite file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from services.escalation.cases.models import (
    CaseTimer,
    ChangeOut,
    FiredOut,
    StoryEvent,
    StoryOut,
)
from services.escalation.config import Settings
from services.escalation.db import outbox_tables
from services.escalation.policy.loader import PolicySet
from services.escalation.runtime import Runtime, build_runtime
from shared.calendar import WorkCalendar
from shared.clock import TestClock
from shared.contract import CaseChanged, Envelope, HazardEvent, Producer, StepFired
from shared.db import transaction

MAX_FIRINGS = 2000


async def play(
    settings: Settings,
    policies: PolicySet,
    calendar: WorkCalendar,
    events: Sequence[StoryEvent],
    until: datetime,
) -> StoryOut:
    story = sorted(events, key=lambda e: e.at)
    clock = TestClock(story[0].at.astimezone(UTC))
    with tempfile.TemporaryDirectory(prefix="escalation-simulate-") as folder:
        scratch = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{Path(folder) / 'story.db'}"}
        )
        runtime = await build_runtime(scratch, clock, policies, calendar=calendar)
        try:
            for item in story:
                await _run_until(runtime, clock, item.at)
                clock.set(item.at)
                envelope = Envelope.of(
                    HazardEvent(event=item.event, facts=item.facts),
                    aggregate_id=item.facts.hazard_id,
                    producer=Producer.HAZARD_API,
                    occurred_at=item.at,
                )
                async with transaction(runtime.sessionmaker) as session:
                    await runtime.flows.handle(session, envelope)
            await _run_until(runtime, clock, until)
            return await _story(runtime)
        finally:
            await runtime.engine.dispose()


async def _run_until(runtime: Runtime, clock: TestClock, until: datetime) -> None:
    """Move the clock from one due step to the next, firing each, up to `until`."""
    for _ in range(MAX_FIRINGS):
        async with runtime.engine.connect() as conn:
            soonest = await conn.scalar(select(func.min(CaseTimer.due_at)))
        if soonest is None:
            return
        soonest = soonest.replace(tzinfo=UTC) if soonest.tzinfo is None else soonest
        if soonest > until:
            return
        if soonest > clock.now():
            clock.set(soonest)
        await runtime.scheduler.run_due()


async def _story(runtime: Runtime) -> StoryOut:
    o = outbox_tables.outbox
    async with runtime.engine.connect() as conn:
        values = (await conn.execute(select(o.c.value).order_by(o.c.id))).scalars().all()
    out = StoryOut()
    for value in values:
        envelope = Envelope.parse_message(value.encode())
        payload = envelope.typed_payload()
        if isinstance(payload, StepFired):
            out.fired.append(
                FiredOut(
                    fired_at=payload.fired_at,
                    step_key=payload.step_key,
                    title=payload.step_title,
                    action=payload.action,
                    urgency=payload.urgency,
                    targets=payload.target_roles,
                    repeat_index=payload.repeat_index,
                    open_ended=payload.open_ended,
                    policy_id=payload.policy_id,
                    policy_version=payload.policy_version,
                    task_id=payload.task_id,
                )
            )
        elif isinstance(payload, CaseChanged):
            out.changes.append(
                ChangeOut(
                    at=envelope.occurred_at,
                    state=payload.state,
                    reason=payload.reason,
                    policy_id=payload.policy_id,
                    policy_version=payload.policy_version,
                    previous_policy_id=payload.previous_policy_id,
                    previous_policy_version=payload.previous_policy_version,
                )
            )
    return out
