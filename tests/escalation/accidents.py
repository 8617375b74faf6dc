"""Factories for the accident clock tests: an accident's facts and events, what fired."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.escalation.runtime import Runtime
from services.hazard_api.accidents import clocks
from shared.clock import TestClock
from shared.contract import (
    AccidentClass,
    AccidentEvent,
    AccidentEventType,
    AccidentFacts,
    AccidentStatus,
    Envelope,
    Producer,
    StepFired,
)
from tests.escalation.conftest import deliver, fired_steps, run_until

INVESTIGATION_LEVEL = {
    AccidentClass.GENERAL: "county",
    AccidentClass.LARGER: "city",
    AccidentClass.MAJOR: "province",
    AccidentClass.ESPECIALLY_MAJOR: "state_council",
}


def make_accident(occurred_at: datetime, received_at: datetime, **overrides: Any) -> AccidentFacts:
    """An accident as hazard_api publishes it, its due times from hazard_api's own clocks."""
    cls = overrides.pop("accident_class", AccidentClass.GENERAL)
    values: dict[str, Any] = {
        "accident_id": f"acc-{uuid.uuid4().hex[:10]}",
        "code": "SG-2026-0001",
        "status": AccidentStatus.REPORTED,
        "accident_class": cls,
        "investigation_level": INVESTIGATION_LEVEL[cls],
        "unit_id": "ent-1",
        "unit_name": "大坪乡红星烟花爆竹有限公司",
        "area_code": "330226001",
        "industry_code": "C2672",
        "township_id": "town-1",
        "department_ids": ["dept-yjj"],
        "accident_type": "explosion",
        "occurred_at": occurred_at,
        "received_at": received_at,
        "channel": "enterprise",
        "deaths": 1,
        "missing": 0,
        "serious_injuries": 0,
        "direct_loss_yuan": 500_000,
        "investigation_due_at": clocks.investigation_due(occurred_at, 0),
    }
    values.update(overrides)
    return AccidentFacts(**values)


def moved(a: AccidentFacts, **changes: Any) -> AccidentFacts:
    return a.model_copy(update=changes)


def investigation_reported(a: AccidentFacts, at: datetime, extension: int = 0) -> AccidentFacts:
    return moved(
        a,
        status=AccidentStatus.INVESTIGATION_REPORTED,
        investigation_reported_at=at,
        decision_due_at=clocks.decision_due(at, a.accident_class, extension),
    )


def accident_event(kind: AccidentEventType, facts: AccidentFacts, at: datetime) -> Envelope:
    return Envelope.of(
        AccidentEvent(event=kind, facts=facts),
        aggregate_id=facts.accident_id,
        producer=Producer.HAZARD_API,
        occurred_at=at,
    )


async def tell(
    runtime: Runtime, clock: TestClock, kind: AccidentEventType, facts: AccidentFacts, at: datetime
) -> None:
    """hazard_api's event arrives at `at` (the clock is moved there first, firing what falls
    due before it)."""
    await run_until(runtime, clock, at)
    await deliver(runtime, accident_event(kind, facts, at))


async def clock_steps(runtime: Runtime, accident_id: str, prefix: str = "") -> list[StepFired]:
    """The accident policy's steps fired for this accident (not the immediate alert)."""
    return [
        s
        for s in await fired_steps(runtime, accident_id)
        if s.policy_id == "accident-clocks" and s.step_key.startswith(prefix)
    ]


async def keys_until(
    runtime: Runtime, clock: TestClock, accident_id: str, until: datetime, prefix: str = ""
) -> list[str]:
    await run_until(runtime, clock, until)
    return [s.step_key for s in await clock_steps(runtime, accident_id, prefix)]
