"""The county-practice rules of the default policies (#11), each played as a hazard's story
with a moved clock: through `POST /simulate`, and through the real chain (broker, consumer,
scheduler, `escalation.step_fired` read back from the broker). Expected times are worked out
by hand from the State Council calendar (清明 4–6 April 2026, 劳动节 1–5 May).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.escalation.cases.models import FiredOut
from services.escalation.main import create_app
from shared.clock import TestClock
from tests.escalation.chain import play_chain
from tests.escalation.conftest import bearer, make_settings, sh
from tests.escalation.county_rules import RULES, Rule, opens_at_report, rows


# ---------------------------------------------------------------- through POST /simulate
@pytest.fixture
async def client(database_url: str, clock: TestClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database_url, run_consumer=False, run_relay=False, run_scheduler=False, run_auditor=False
    )
    app: FastAPI = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://escalation", headers=bearer(clock)
        ) as c:
            yield c


async def simulate(client: httpx.AsyncClient, rule: Rule) -> dict[str, Any]:
    events = [e for story in rule.stories for e in story.json_events()]
    answer = await client.post(
        "/simulate", json={"events": events, "until": rule.until.isoformat()}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize("name", list(RULES))
async def test_rule_through_simulate(client: httpx.AsyncClient, name: str) -> None:
    rule = RULES[name]()
    body = await simulate(client, rule)
    fired = [FiredOut.model_validate(f) for f in body["fired"]]
    for hazard_id, expected in rule.expected.items():
        assert rows(fired, hazard_id) == expected


# ---------------------------------------------------------------- through the real chain
@pytest.mark.parametrize("name", list(RULES))
async def test_rule_through_the_chain(
    database_url: str, broker: str, clock: TestClock, name: str
) -> None:
    rule = RULES[name]()
    fired = await play_chain(database_url, broker, clock, rule.stories, rule.until)
    for hazard_id, expected in rule.expected.items():
        assert rows(fired, hazard_id) == expected


async def test_a_story_without_its_end_or_with_facts_too_is_refused(
    client: httpx.AsyncClient,
) -> None:
    story = opens_at_report().stories[0]
    events = story.json_events()
    facts = story.facts.model_dump(mode="json")
    for body, message in (
        ({"events": events}, "按事件经过推演时须给出推演截止时间（until）"),
        (
            {"events": events, "facts": facts, "until": sh(2026, 4, 1).isoformat()},
            "请给出隐患现状（facts）或事件经过（events），二者选一",
        ),
        ({"events": events, "until": sh(2020, 1, 1).isoformat()}, "推演截止时间须在第一个事件之后"),
    ):
        answer = await client.post("/simulate", json=body)
        assert answer.status_code == 422 and message in answer.text, answer.text
