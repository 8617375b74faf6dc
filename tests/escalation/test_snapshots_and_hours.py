"""Frozen snapshots survive the county-practice changes; only `immediate` steps reach a
person at night; a re-selected case shows both policy versions in its history."""

from __future__ import annotations

from datetime import time

import httpx
from sqlalchemy import select, update

from services.escalation.cases import service
from services.escalation.cases.timeline import Planner, WorkingHours
from services.escalation.config import DEFAULT_POLICIES_DIR
from services.escalation.main import create_app
from services.escalation.policy.models import Policy, PolicySnapshot
from shared.calendar import WorkCalendar
from shared.clock import TestClock, local
from shared.contract import HazardEventType as E
from shared.contract import HazardLevel, HazardStatus, ListingLevel
from shared.db import transaction
from tests.escalation.conftest import (
    LEGACY_POLICIES,
    bearer,
    deliver,
    end_of_day,
    fired_steps,
    hazard_event,
    make_facts,
    make_settings,
    outbox_events,
    run_until,
    sh,
    start_runtime,
)

NEW_STEP_FIELDS = {"task", "fallback_targets"}  # added to the step model by #11


async def test_a_case_frozen_on_a_v1_policy_keeps_running_after_the_upgrade(
    database_url: str, clock: TestClock
) -> None:
    """A case started under the v1 county policy, before this service knew the new step
    fields, keeps its v1 steps when the service restarts with the new default policies."""
    clock.set(sh(2026, 3, 2, 10, 0))
    old = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 3, 20))
    before = await start_runtime(database_url, clock, LEGACY_POLICIES)
    await deliver(before, hazard_event(E.RECTIFICATION_STARTED, old, clock.now()))
    # As a v1 service would have stored it: another digest, step JSON without the new fields.
    async with transaction(before.sessionmaker) as session:
        for row in (await session.scalars(select(PolicySnapshot))).all():
            v1_steps = [
                {k: v for k, v in step.items() if k not in NEW_STEP_FIELDS}
                for step in row.steps["steps"]  # type: ignore[attr-defined]
            ]
            await session.execute(
                update(PolicySnapshot)
                .where(PolicySnapshot.id == row.id)
                .values(digest="v1-" + row.digest[3:], steps={"steps": v1_steps})
            )
    await before.engine.dispose()

    after = await start_runtime(database_url, clock, DEFAULT_POLICIES_DIR)
    try:
        new = make_facts(classified_at=clock.now(), deadline_at=end_of_day(2026, 3, 20))
        await deliver(after, hazard_event(E.RECTIFICATION_STARTED, new, clock.now()))
        await run_until(after, clock, sh(2026, 3, 24, 12, 0))
        fired = {
            h: [
                (s.policy_version, s.step_key, local(s.due_at).strftime("%m-%d %H:%M"))
                for s in steps
            ]
            for h in (old.hazard_id, new.hazard_id)
            if (steps := await fired_steps(after, h))
        }
    finally:
        await after.engine.dispose()
    assert fired[old.hazard_id] == [
        (1, "remind_3wd", "03-17 09:00"),
        (1, "remind_1wd", "03-19 09:00"),
        (1, "overdue_notice", "03-23 08:30"),  # v1 said 23:59 of the deadline: not at night
    ]
    assert fired[new.hazard_id] == [
        (3, "order", "03-02 10:00"),
        (3, "remind_3wd", "03-17 09:00"),
        (3, "remind_1wd", "03-19 09:00"),
        (3, "overdue_notice", "03-23 08:30"),
    ]
    # Restarting on the same legacy files is still accepted (same steps, older digest).
    again = await start_runtime(database_url, clock, LEGACY_POLICIES)
    await again.engine.dispose()


def night_policy() -> Policy:
    step = {"offset": 0, "unit": "hours", "targets": ["enterprise.principal"]}
    return Policy.model_validate(
        {
            "id": "night",
            "version": 1,
            "title": "夜间",
            "steps": [
                {**step, "key": "evacuate", "title": "立即撤人", "action": "overdue_notice",
                 "urgency": "immediate"},
                {**step, "key": "urgent", "title": "紧急", "action": "overdue_notice",
                 "urgency": "urgent"},
                {**step, "key": "normal", "title": "常规", "action": "overdue_notice"},
            ],
        }
    )  # fmt: skip


def test_only_immediate_steps_fall_at_night() -> None:
    from services.escalation.cases.timeline import Anchors

    steps = night_policy().steps
    deadline = end_of_day(2026, 3, 6)  # Friday 23:59:59
    for hours, morning in (
        (WorkingHours(), "03-09 08:30"),
        (WorkingHours(time(9), time(17)), "03-09 09:00"),
    ):
        planner = Planner(WorkCalendar(), hours=hours)
        timeline = planner.compute(steps, Anchors(deadline_at=deadline), paused=False, listed=False)
        due = {
            steps[o.step_index].key: local(o.due_at).strftime("%m-%d %H:%M:%S") for o in timeline
        }
        assert due == {
            "evacuate": "03-06 23:59:59",  # immediate: the night is no reason to wait
            "urgent": f"{morning}:00",  # urgent is not "at night"
            "normal": f"{morning}:00",
        }


async def test_working_hours_are_configuration(database_url: str, clock: TestClock) -> None:
    settings = make_settings(
        database_url,
        working_hours_start="09:15",
        working_hours_end="17:30",
        run_consumer=False,
        run_relay=False,
        run_scheduler=False,
        run_auditor=False,
    )
    app = create_app(settings, clock)
    facts = make_facts(
        level=HazardLevel.GENERAL,
        classified_at=sh(2026, 3, 2, 18, 0),
        deadline_at=end_of_day(2026, 3, 6),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://e", headers=bearer(clock)
        ) as client:
            body = (
                await client.post("/simulate", json={"facts": facts.model_dump(mode="json")})
            ).json()
    order = next(s for s in body["steps"] if s["step_key"] == "order")
    assert local_str(order["due_at"]) == "03-03 09:15"  # ordered 18:00, after the 17:30 end


def local_str(iso: str) -> str:
    from datetime import datetime

    return local(datetime.fromisoformat(iso)).strftime("%m-%d %H:%M")


async def test_reselected_case_history_shows_both_versions(
    database_url: str, clock: TestClock
) -> None:
    runtime = await start_runtime(database_url, clock, DEFAULT_POLICIES_DIR)
    try:
        clock.set(sh(2026, 3, 2, 10, 0))
        facts = make_facts(
            level=HazardLevel.MAJOR,
            grade=3,
            status=HazardStatus.RECTIFYING,
            classified_at=clock.now(),
            deadline_at=end_of_day(2026, 5, 29),
        )
        await deliver(runtime, hazard_event(E.CLASSIFIED, facts, clock.now()))
        clock.set(sh(2026, 3, 4, 10, 0))
        listed = facts.model_copy(
            update={"listing_level": ListingLevel.COUNTY, "listed_at": clock.now()}
        )
        await deliver(runtime, hazard_event(E.LISTED, listed, clock.now()))
        async with runtime.sessionmaker() as session:
            case = await service.get_case(session=session, hazard_id=facts.hazard_id)
        assert case is not None
        assert [(p["policy_id"], p["policy_version"], p["reason"]) for p in case.history] == [
            ("county-major", 3, "started"),
            ("county-listed", 2, "hazard.listed"),
        ]
        switched = [e.payload for e in await outbox_events(runtime, "escalation.case_changed")][-1]
        assert switched["reason"] == "policy switched: county-major v3 -> county-listed v2"
        assert (switched["previous_policy_id"], switched["previous_policy_version"]) == (
            "county-major",
            3,
        )
        assert (switched["policy_id"], switched["policy_version"]) == ("county-listed", 2)
    finally:
        await runtime.engine.dispose()
