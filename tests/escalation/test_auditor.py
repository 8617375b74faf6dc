"""The auditor finds cases whose timer is wrong or long overdue, and reports each once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import select, update

from services.escalation.cases.models import Case, CaseTimer
from services.escalation.runtime import Runtime
from services.escalation.timers.auditor import Auditor
from shared.clock import OffsetClock, TestClock
from shared.contract import AuditorAnomaly, Envelope
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


def findings(envelopes: list[Envelope]) -> list[AuditorAnomaly]:
    return [p for e in envelopes if isinstance(p := e.typed_payload(), AuditorAnomaly)]


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
    kinds = ("next_fire_mismatch", "clock_moved", "overdue_step")
    before = [anomalies_counted(kind) for kind in kinds]

    assert await runtime.auditor.audit() != []
    # The clock leaps past the reminder due 29 Sep 09:00: late because of the leap, not a fault.
    clock.set(sh(2026, 9, 29, 9, 0) + timedelta(minutes=10))
    await runtime.auditor.audit()
    await runtime.auditor.audit()  # the same anomalies again: not emitted twice
    # Nobody fired it in the ten minutes after the leap either (the threshold is 5): a fault.
    clock.advance(minutes=10)
    await runtime.auditor.audit()

    emitted = findings(await outbox_events(runtime, "escalation.anomaly"))
    assert sorted((f.hazard_id, f.kind) for f in emitted) == sorted(
        [
            (lost.hazard_id, "next_fire_mismatch"),
            (healthy.hazard_id, "clock_moved"),
            (stuck.hazard_id, "clock_moved"),
            (healthy.hazard_id, "overdue_step"),
            (stuck.hazard_id, "overdue_step"),
        ]
    )
    after = [anomalies_counted(kind) for kind in kinds]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 2, 2]
    details = {f.kind: f.detail for f in emitted}
    assert details["clock_moved"] == (
        "系统时间向前跳变或督办服务曾暂停，原定于2026年9月29日09:00的督办步骤延后发出，系统随即补发"
    )
    assert details["overdue_step"] == (
        "原定于2026年9月29日09:00发出的督办步骤至2026年9月29日09:20仍未发出，"
        "请检查督办服务的定时任务是否运行"
    )
    assert details["next_fire_mismatch"] == (
        "督办定时为无，按督办计划应为2026年9月29日09:00，请检查督办服务"
    )


async def test_a_moved_demo_clock_is_said_to_be_one(runtime: Runtime, clock: TestClock) -> None:
    """On a demo's offset clock the finding says the clock was moved, and that it is no fault."""
    auditor = Auditor(
        runtime.engine, runtime.planner, clock, overdue_seconds=300.0, demo_clock=True
    )
    clock.set(sh(2026, 9, 21, 10, 0))
    facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
    await deliver(runtime, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now()))
    assert await auditor.audit() == []
    clock.set(sh(2026, 10, 1, 12, 0))

    [found] = await auditor.audit()

    assert found.kind == "clock_moved"
    assert found.detail == (
        "演示时钟被调快，原定于2026年9月29日09:00的督办步骤在时钟调整后才到期，系统随即补发"
        "（演示操作所致，并非故障）"
    )


async def test_steps_missed_while_the_service_was_down_are_a_fault(
    runtime: Runtime, clock: TestClock
) -> None:
    """Without a leap seen between two runs (a fresh start), a long-late step is overdue."""
    clock.set(sh(2026, 9, 21, 10, 0))
    facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
    await deliver(runtime, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now()))
    clock.set(sh(2026, 10, 1, 12, 0))
    auditor = Auditor(runtime.engine, runtime.planner, clock, demo_clock=True)

    assert [(f.hazard_id, f.kind) for f in await auditor.audit()] == [
        (facts.hazard_id, "overdue_step")
    ]


def test_the_offset_clock_is_the_demo_clock(runtime: Runtime, tmp_path: Path) -> None:
    offset = OffsetClock(str(tmp_path / "clock-offset"))
    assert Auditor(runtime.engine, runtime.planner, offset).demo_clock
    assert not Auditor(runtime.engine, runtime.planner, runtime.clock).demo_clock
