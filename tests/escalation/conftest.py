"""Factories for the escalation tests: hazard facts and events, a runtime on a fresh database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.escalation.config import Settings
from services.escalation.db import outbox_tables
from services.escalation.policy.loader import PolicySet
from services.escalation.runtime import Runtime, build_runtime
from shared.bearer import encode_token
from shared.clock import SHANGHAI, TestClock
from shared.contract import (
    DeadlineKind,
    Envelope,
    HazardEvent,
    HazardEventType,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    NotificationAlert,
    Producer,
    StepFired,
    TaskClosed,
    TaskCreated,
)
from shared.db import transaction

# The county policies as version 1 had them (before #11), frozen here: the tests of the case
# and timer mechanics run on them, which also proves an old policy still loads and runs.
LEGACY_POLICIES = Path(__file__).parent / "legacy_policies"


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An Asia/Shanghai wall-clock time as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of_day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def make_facts(**overrides: Any) -> HazardFacts:
    values: dict[str, Any] = {
        "hazard_id": f"hz-{uuid.uuid4().hex[:10]}",
        "status": HazardStatus.RECTIFYING,
        "level": HazardLevel.GENERAL,
        "unit_id": "ent-1",
        "unit_name": "城关镇某某化工有限公司",
        "area_code": "330226",
        "industry_code": "C26",
        "township_id": "town-1",
        "department_ids": ["dept-yjj"],
        "description": "配电室未设置挡鼠板",
        "deadline_kind": DeadlineKind.WORKING_DAYS,
    }
    values.update(overrides)
    return HazardFacts(**values)


def hazard_event(kind: HazardEventType, facts: HazardFacts, at: datetime) -> Envelope:
    return Envelope.of(
        HazardEvent(event=kind, facts=facts),
        aggregate_id=facts.hazard_id,
        producer=Producer.HAZARD_API,
        occurred_at=at,
    )


TEST_SECRET = "escalation-test-secret-0123456789abcdef"
# Long enough for any moved clock of these tests (a story spans up to five years).
TOKEN_MINUTES = 20 * 366 * 24 * 60


def bearer(
    clock: TestClock,
    role: str = "county_office",
    *,
    user_id: str | None = None,
    unit_id: str = "county",
    secret: str = TEST_SECRET,
    **claims: Any,
) -> dict[str, str]:
    """The Authorization header of a hazard_api token (escalation checks it with the key)."""
    token = encode_token(
        {"sub": user_id or f"u-{role}", "role": role, "unit_id": unit_id, **claims},
        secret_key=secret,
        clock=clock,
        minutes=TOKEN_MINUTES,
    )
    return {"Authorization": f"Bearer {token}"}


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "database_url": database_url,
    }
    values.update(overrides)
    return Settings(**values)


async def start_runtime(
    database_url: str, clock: TestClock, policies_dir: Path | None = None
) -> Runtime:
    settings = make_settings(database_url)
    folder = policies_dir or LEGACY_POLICIES
    return await build_runtime(settings, clock, PolicySet.load(folder))


@pytest.fixture
async def runtime(database_url: str, clock: TestClock) -> AsyncIterator[Runtime]:
    """A runtime on the legacy (v1) policies: the mechanics tests."""
    rt = await start_runtime(database_url, clock)
    yield rt
    await rt.engine.dispose()


@pytest.fixture
async def county(database_url: str, clock: TestClock) -> AsyncIterator[Runtime]:
    """A runtime on the default county policies (county practice, #11)."""
    rt = await start_runtime(database_url, clock, make_settings(database_url).policies_dir)
    yield rt
    await rt.engine.dispose()


async def deliver(runtime: Runtime, envelope: Envelope) -> None:
    """What the consumer does with one event (minus the broker)."""
    async with transaction(runtime.sessionmaker) as session:
        await runtime.flows.handle(session, envelope)


async def outbox_events(runtime: Runtime, event_type: str | None = None) -> list[Envelope]:
    o = outbox_tables.outbox
    async with runtime.engine.connect() as conn:
        values = (await conn.execute(select(o.c.value).order_by(o.c.id))).scalars().all()
    envelopes = [Envelope.parse_message(v.encode()) for v in values]
    return [e for e in envelopes if event_type is None or e.type == event_type]


async def task_events(runtime: Runtime, subject_id: str) -> list[TaskCreated | TaskClosed]:
    """The task events in escalation's outbox about one hazard, accident, campaign or order."""
    out: list[TaskCreated | TaskClosed] = []
    for e in await outbox_events(runtime):
        payload = e.typed_payload()
        if isinstance(payload, TaskCreated | TaskClosed) and payload.hazard_id == subject_id:
            out.append(payload)
    return out


async def fired_steps(runtime: Runtime, hazard_id: str | None = None) -> list[StepFired]:
    out = []
    for envelope in await outbox_events(runtime, "escalation.step_fired"):
        payload = envelope.typed_payload()
        assert isinstance(payload, StepFired)
        if hazard_id is None or payload.hazard_id == hazard_id:
            out.append(payload)
    return out


async def run_until(runtime: Runtime, clock: TestClock, until: datetime) -> None:
    """Move the test clock from one due step to the next, firing each, up to `until`."""
    from sqlalchemy import func

    from services.escalation.cases.models import CaseTimer

    while True:
        async with runtime.engine.connect() as conn:
            soonest = await conn.scalar(select(func.min(CaseTimer.due_at)))
        if soonest is None:
            break
        soonest = soonest.replace(tzinfo=UTC) if soonest.tzinfo is None else soonest
        if soonest > until:
            break
        if soonest > clock.now():
            clock.set(soonest)
        await runtime.scheduler.run_due()
    if until > clock.now():
        clock.set(until)


async def undelivered_alert(runtime: Runtime, hazard_id: str, step_key: str, **kw: Any) -> Envelope:
    """notification's alert that the notice of this (one) fired step failed for good."""
    [step] = [
        e
        for e in await outbox_events(runtime, "escalation.step_fired")
        if isinstance(p := e.typed_payload(), StepFired)
        and (p.hazard_id, p.step_key) == (hazard_id, step_key)
    ]
    alert = NotificationAlert(
        request_event_id=str(step.event_id), hazard_ids=[hazard_id], at=step.occurred_at, **kw
    )
    at = step.occurred_at
    return Envelope.of(
        alert, aggregate_id=hazard_id, producer=Producer.NOTIFICATION, occurred_at=at
    )
