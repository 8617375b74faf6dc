"""Acceptance (#12): the official 2027 schedule, differing from the estimate, is loaded while a
hazard's working-day deadline runs on the estimate. Through a real broker (its own tansu, so no
other test's events reach it): hazard_api moves the deadline and puts both dates on the
timeline; escalation, from the events alone, moves the pending reminder with it; the text sent
before the load (notification's own rendering of the step escalation fired) said 「（预计）」."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from services.escalation.main import create_app as escalation_app
from services.escalation.runtime import Runtime
from services.hazard_api.db import outbox_tables
from services.notification.messages.render import Voice, notice_item, sms_text
from shared.broker import EmbeddedBroker
from shared.clock import SHANGHAI, TestClock
from shared.outbox import OutboxRelay
from tests.conftest import DatabaseFactory
from tests.escalation.conftest import fired_steps
from tests.escalation.conftest import make_settings as escalation_settings
from tests.hazard_api.lifecycle.conftest import HAZARD, Api
from tests.official_2027 import (
    ESTIMATED_LABEL,
    NOTICE,
    OFFICIAL_2027,
    OFFICIAL_DEADLINE,
    OFFICIAL_LABEL,
    START,
)

T = TypeVar("T")


@pytest.fixture
def clock() -> TestClock:
    return TestClock(START)


@pytest.fixture
def own_broker() -> Iterator[str]:
    with EmbeddedBroker() as broker:
        yield broker.bootstrap_servers


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str) -> T:
    async with asyncio.timeout(90):
        while True:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(0.1)
    raise AssertionError(what)  # pragma: no cover - the timeout raises first


def shanghai(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


async def test_official_2027_moves_the_deadline_and_the_pending_reminder(
    api: Api,
    app: FastAPI,
    clock: TestClock,
    own_broker: str,
    db_kind: str,
    make_database_url: DatabaseFactory,
) -> None:
    office, ent = api.as_("office"), api.as_("hongxing")
    settings = escalation_settings(
        await make_database_url(db_kind),
        kafka_bootstrap_servers=own_broker,
        consumer_group=f"escalation-{uuid.uuid4().hex[:8]}",
        consumer_session_timeout_ms=6000,
        scheduler_poll_seconds=0.2,
        run_auditor=False,
        run_relay=False,
        # Escalation takes hazard_api's tokens (ESCALATION_BEARER_KEY).
        bearer_key=app.state.settings.secret_key,
    )
    escalation = escalation_app(settings, clock)
    relay = OutboxRelay(
        app.state.engine, outbox_tables.outbox, own_broker, clock=clock, poll_interval=0.1
    )
    await relay.start()
    try:
        async with escalation.router.lifespan_context(escalation):
            runtime: Runtime = escalation.state.runtime
            transport = httpx.ASGITransport(app=escalation)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://esc.test", headers=api.headers["office"]
            ) as esc:

                async def reminder() -> dict[str, Any] | None:
                    r = await esc.get(f"/cases/{hid}")
                    if r.status_code != 200:
                        return None
                    steps = [s for s in r.json()["steps"] if s["step_key"] == "remind_1wd"]
                    return steps[0] if steps else None

                # Monday 21 December 2026: a general hazard, 10 working days to fix it.
                hid = (await ent.post("/hazards", HAZARD)).json()["id"]
                classified = await office.post(
                    f"/hazards/{hid}/classify",
                    {"level": "general", "deadline_days": 10, "deadline_kind": "working_days"},
                )
                assert classified.json()["deadline_label"] == ESTIMATED_LABEL
                assert (await ent.post(f"/hazards/{hid}/start-rectification", {})).is_success

                # Escalation plans the reminder the working day before, on the estimate.
                before = await eventually(reminder, "escalation never planned the reminder")
                assert (shanghai(before["due_at"]), before["provisional"]) == (
                    "2027-01-04 09:00",
                    True,
                )
                # The rectification order went out at once: its text says the date may move.
                (order,) = await eventually(
                    lambda: fired_steps(runtime, hid), "the order was never fired"
                )
                item = notice_item(order, "enterprise.principal", None, now=clock.now())
                voice = Voice("示范县", "示范县安委办", "0571-88880000")
                text = sms_text([item], "https://ajb.example.gov.cn/a/t", voice)
                assert "整改期限为1月5日（预计）" in text, text

                # The next morning the county office loads the official schedule.
                clock.advance(days=1)
                loaded = await office.put("/calendar/2027", OFFICIAL_2027)
                assert loaded.status_code == 200, loaded.text
                assert loaded.json()["recomputed_hazards"] == 1

                hazard = (await office.get(f"/hazards/{hid}")).json()["hazard"]
                assert hazard["deadline_at"] == OFFICIAL_DEADLINE
                assert hazard["deadline_label"] == OFFICIAL_LABEL

                # Officially 1–4 January are off: the reminder goes on Tuesday 5 January, once
                # escalation has both the schedule and the new deadline (in either order).
                async def moved() -> dict[str, Any] | None:
                    step = await reminder()
                    final = step and (shanghai(step["due_at"]), step["provisional"])
                    return step if final == ("2027-01-05 09:00", False) else None

                await eventually(moved, "escalation never moved the reminder to 5 January")
                assert not runtime.planner.calendar.is_provisional(2027)

                timeline = (await office.get(f"/hazards/{hid}/timeline")).json()
                summaries = [i["summary"] for i in timeline]
                assert (
                    f"按法定节假日安排调整整改期限：法定节假日安排已发布（{NOTICE}），"
                    f"整改期限由{ESTIMATED_LABEL}调整为{OFFICIAL_LABEL}"
                ) in summaries, summaries
                # Nothing was sent twice: the recount is not a new order.
                assert [s.step_key for s in await fired_steps(runtime, hid)] == ["order"]
    finally:
        await relay.stop()
