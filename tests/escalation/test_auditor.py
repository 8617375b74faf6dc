"""The auditor finds cases whose timer is wrong or long overdue, and reports each once."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select, update

from services.escalation.cases.models import Case, CaseTimer
from services.escalation.runtime import Runtime
from shared.clock import TestClock
from shared.contract import AuditorAnomaly
from shared.contract import HazardEventType as E
from tests.escalation.conftest import (
    deliver,
    end_of_day,
    hazard_event,
    make_facts,
    outbox_events,
    sh,
)


def anomalies_counted(kind: str) -> float:
    value = REGISTRY.get_sample_value("escalation_auditor_anomalies_total", {"kind": kind})
    return value or 0.0


async def test_auditor_reports_lost_timers_and_overdue_steps_once(
    runtime: Runtime, clock: TestClock
) -> None:
    clock.set(sh(2026, 9, 21, 10, 0))
    healthy, lost, stuck = (
        make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9)) for _ in range(3)
    )
    for facts in (healthy, lost, stuck):
        await deliver(runtime, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now()))
    async with runtime.engine.begin() as conn:
        lost_id = select(Case.id).where(Case.hazard_id == lost.hazard_id).scalar_subquery()
        await conn.execute(
            update(CaseTimer).where(CaseTimer.case_id == lost_id).values(due_at=None)
        )
    before = anomalies_counted("next_fire_mismatch"), anomalies_counted("overdue_step")

    assert await runtime.auditor.audit() != []
    # Nobody fired the reminder due 29 Sep 09:00; the auditor's threshold is 5 minutes.
    clock.set(sh(2026, 9, 29, 9, 0) + timedelta(minutes=10))
    await runtime.auditor.audit()
    await runtime.auditor.audit()  # the same anomalies again: not emitted twice

    emitted = [
        (payload.hazard_id, payload.kind)
        for e in await outbox_events(runtime, "escalation.anomaly")
        if isinstance(payload := e.typed_payload(), AuditorAnomaly)
    ]
    assert sorted(emitted) == sorted(
        [
            (lost.hazard_id, "next_fire_mismatch"),
            (healthy.hazard_id, "overdue_step"),
            (stuck.hazard_id, "overdue_step"),
        ]
    )
    after = anomalies_counted("next_fire_mismatch"), anomalies_counted("overdue_step")
    assert (after[0] - before[0], after[1] - before[1]) == (1, 2)
