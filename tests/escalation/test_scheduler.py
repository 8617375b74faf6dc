"""The scheduler across real processes: exactly once with two replicas, and after SIGKILL."""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from services.escalation.cases.models import CaseTimer
from services.escalation.cases.service import Claim
from services.escalation.cases.timeline import Occurrence
from services.escalation.policy.loader import PolicySet
from services.escalation.runtime import Runtime
from services.escalation.timers.step_events import (
    STEP_EVENT_NAMESPACE,
    step_event_id,
    step_fired_json,
    step_fragment,
)
from shared.clock import TestClock
from shared.contract import Envelope, StepFired
from shared.contract import HazardEventType as E
from shared.db import transaction
from shared.loops import LoopStopped, loops_check
from tests.conftest import DatabaseFactory
from tests.escalation.conftest import (
    LEGACY_POLICIES,
    end_of_day,
    fired_steps,
    hazard_event,
    make_facts,
    sh,
    start_runtime,
)

REPO = Path(__file__).resolve().parents[2]
STEPS_PER_GENERAL_CASE = 7  # county-general fires 7 times when nothing stops it


async def open_cases(runtime: Runtime, clock: TestClock, n: int) -> None:
    """`n` general hazards whose whole ladder lies in the past of the real clock."""
    clock.set(sh(2026, 9, 21, 10, 0))
    async with transaction(runtime.sessionmaker) as session:
        for _ in range(n):
            facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
            await runtime.flows.handle(
                session, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now())
            )


async def run_worker(database_url: str, **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.escalation.worker",
        "--until-idle",
        cwd=REPO,
        env={
            **os.environ,
            "DUBAN_ENV": "test",
            "ESCALATION_SECRET_KEY": "escalation-test-secret",
            "ESCALATION_DATABASE_URL": database_url,
            "ESCALATION_POLICIES_DIR": str(LEGACY_POLICIES),
            **env,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def assert_each_step_fired_once(runtime: Runtime, cases: int) -> None:
    steps = await fired_steps(runtime)
    per_occurrence = collections.Counter((s.case_id, s.step_key, s.repeat_index) for s in steps)
    assert len(per_occurrence) == cases * STEPS_PER_GENERAL_CASE
    assert set(per_occurrence.values()) == {1}
    async with runtime.engine.connect() as conn:
        armed = await conn.scalar(select(func.count()).where(CaseTimer.due_at.isnot(None)))
        fired_total = await conn.scalar(select(func.sum(CaseTimer.fired_count)))
    assert armed == 0
    assert fired_total == cases * STEPS_PER_GENERAL_CASE


async def test_two_processes_fire_every_step_of_1000_cases_exactly_once(
    make_database_url: DatabaseFactory, clock: TestClock
) -> None:
    url = await make_database_url("postgresql")
    runtime = await start_runtime(url, clock)
    try:
        await open_cases(runtime, clock, 1000)
        results = await asyncio.gather(
            run_worker(url, ESCALATION_SCHEDULER_BATCH_SIZE="50"),
            run_worker(url, ESCALATION_SCHEDULER_BATCH_SIZE="50"),
        )
        for code, _out, err in results:
            assert code == 0, err
        counts = [int(out.strip().rsplit("fired=", 1)[1]) for _code, out, _err in results]
        print("fired per process:", counts)
        assert sum(counts) == 1000 * STEPS_PER_GENERAL_CASE, counts
        await assert_each_step_fired_once(runtime, 1000)
    finally:
        await runtime.engine.dispose()


async def test_process_killed_mid_step_fires_it_once_after_restart(
    database_url: str, clock: TestClock
) -> None:
    runtime = await start_runtime(database_url, clock)
    try:
        await open_cases(runtime, clock, 20)
        for point in ("after_case_update", "after_outbox_insert"):
            code, _out, err = await run_worker(database_url, ESCALATION_TEST_CRASH_POINT=point)
            assert code == -9, err  # SIGKILL, inside the first batch's transaction
            assert f"test crash point {point} reached" in err
            assert await fired_steps(runtime) == []
            async with runtime.engine.connect() as conn:
                moved = await conn.scalar(select(func.count()).where(CaseTimer.cursor > 0))
            assert moved == 0
        code, out, err = await run_worker(database_url)
        assert code == 0, err
        assert out.strip() == f"fired={20 * STEPS_PER_GENERAL_CASE}"
        await assert_each_step_fired_once(runtime, 20)
    finally:
        await runtime.engine.dispose()


def test_hand_built_step_event_matches_the_contract() -> None:
    assert step_event_id("c-1", 3, 4) == str(uuid.uuid5(STEP_EVENT_NAMESPACE, "c-1/3/4"))
    step = PolicySet.load(LEGACY_POLICIES).by_id["county-general"].steps[3]
    facts = make_facts(hazard_id='hz-"引号"', deadline_at=end_of_day(2026, 10, 9))
    now = datetime(2026, 10, 13, 1, 0, 0, 123456, tzinfo=UTC)
    claim = Claim(
        id="c-1",
        hazard_id=facts.hazard_id,
        snapshot_id=1,
        policy_id="county-general",
        policy_version=1,
        state="active",
        cursor=3,
        fence=2,
        next_fire_at=now,
        deadline_at=facts.deadline_at,
        classified_at=None,
        rectification_reported_at=None,
        acceptance_due_at=None,
        listed=False,
        halted=(),
        facts=facts.model_dump_json(),
        reported_at=None,
        ordered_at=None,
        listed_at=None,
        extension_requested_at=None,
        accepted_at=None,
    )
    occurrence = Occurrence(now, 3, 1, False)
    raw = step_fired_json(
        "e1d2c3b4-0000-5000-8000-000000000000",
        claim,
        occurrence,
        step_fragment(step),
        now.isoformat(),
    )
    envelope = Envelope.parse_message(raw.encode())
    assert envelope.type == "escalation.step_fired" and envelope.aggregate_id == facts.hazard_id
    assert envelope.typed_payload() == StepFired(
        case_id="c-1",
        hazard_id=facts.hazard_id,
        policy_id="county-general",
        policy_version=1,
        step_key="overdue_3wd",
        step_index=3,
        repeat_index=1,
        action=step.action,
        urgency=step.urgency,
        target_roles=step.targets,
        due_at=now,
        fired_at=now,
        stop_condition="acknowledged",
        facts=facts,
        step_title=step.title,
    )


async def test_a_replan_in_flight_holds_the_timer_and_the_scheduler_skips_it(
    make_database_url: DatabaseFactory, clock: TestClock
) -> None:
    """The claim reads cases after locking their timers; a change to a case must hold the
    timer's lock until it commits, so a firing never mixes the new fence with old anchors."""
    runtime = await start_runtime(await make_database_url("postgresql"), clock)
    try:
        clock.set(sh(2026, 9, 21, 10, 0))
        facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
        async with transaction(runtime.sessionmaker) as session:
            await runtime.flows.handle(
                session, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now())
            )
        clock.set(sh(2026, 9, 29, 9, 30))  # the 3-working-day reminder is due
        extended = facts.model_copy(update={"deadline_at": end_of_day(2026, 11, 20)})
        async with transaction(runtime.sessionmaker) as session:
            await runtime.flows.handle(
                session, hazard_event(E.EXTENSION_APPROVED, extended, clock.now())
            )
            assert await runtime.scheduler.run_due() == 0  # skipped, not waited for
        assert await runtime.scheduler.run_due() == 0  # the new plan has nothing due yet
        assert await fired_steps(runtime, facts.hazard_id) == []

        clock.set(sh(2026, 11, 17, 9, 30))  # 3 working days before the new deadline
        assert await runtime.scheduler.run_due() == 1
        [fired] = await fired_steps(runtime, facts.hazard_id)
        assert fired.step_key == "remind_3wd"
        assert fired.facts.deadline_at == extended.deadline_at
    finally:
        await runtime.engine.dispose()


async def test_the_loop_goes_on_when_the_database_fails_while_it_idles(
    runtime: Runtime, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make chaos` seed 3333: a connection reset while the loop asked the database how long
    to idle ended the loop for good, and no step fired for the rest of the run."""
    scheduler = runtime.scheduler
    asked = scheduler._idle_seconds
    failed = asyncio.Event()

    async def reset_once() -> float:
        if not failed.is_set():
            failed.set()
            raise OperationalError(
                "SELECT min(case_timers.due_at) FROM case_timers",
                {},
                ConnectionResetError(104, "Connection reset by peer"),
            )
        return await asked()

    monkeypatch.setattr(scheduler, "_idle_seconds", reset_once)
    clock.set(sh(2026, 9, 21, 10, 0))
    await scheduler.start()
    try:
        await asyncio.wait_for(failed.wait(), timeout=60)  # nothing due: the loop idles
        facts = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 10, 9))
        async with transaction(runtime.sessionmaker) as session:
            await runtime.flows.handle(
                session, hazard_event(E.RECTIFICATION_STARTED, facts, clock.now())
            )
        clock.set(sh(2026, 9, 29, 9, 30))  # the 3-working-day reminder is due
        for _ in range(600):  # a bound for a loaded machine, not a timing assertion
            if await fired_steps(runtime, facts.hazard_id):
                break
            await asyncio.sleep(0.05)
        assert [s.step_key for s in await fired_steps(runtime, facts.hazard_id)] == ["remind_3wd"]
    finally:
        await scheduler.stop()


async def test_a_loop_that_dies_all_the_same_is_named_by_readiness(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever escapes the loop's own retries: the service keeps answering requests, so
    /readyz must say the timers stopped (the loops check escalation mounts)."""
    scheduler = runtime.scheduler

    async def broken(seconds: float) -> None:
        raise RuntimeError("a bug outside the loop's try")

    monkeypatch.setattr(scheduler, "_idle", broken)
    await loops_check()
    await scheduler.start()
    try:
        with pytest.raises(LoopStopped, match=r"escalation-scheduler（RuntimeError）"):
            for _ in range(600):  # a bound for a loaded machine, not a timing assertion
                await loops_check()
                await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()  # on purpose: not raised again, and forgotten by readiness
    await loops_check()
