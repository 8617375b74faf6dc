"""The whole timeline of a general hazard and of a county-listed major hazard, from report to
close, as `POST /simulate` plays it with a moved clock: each step's Beijing time, action,
urgency, title and target roles, and under each step the SMS text each target role's holder
receives (rendered by notification's own code for that step and duty), compared with
`golden/walkthrough.txt`. The major hazard's part is the README's "Walkthrough of a major
hazard". Regenerate after a deliberate policy or wording change: `DUBAN_REGEN_GOLDEN=1 pytest …`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.escalation.cases.models import ChangeOut, FiredOut
from services.escalation.main import create_app
from services.notification.messages.render import Voice, notice_item, sms_text
from shared.clock import TestClock, local
from shared.contract import HazardFacts, StepFired
from shared.labels import role_label
from tests.escalation.conftest import bearer, make_settings, sh
from tests.escalation.stories import Story, golden_general, golden_major

GOLDEN = Path(__file__).parent / "golden" / "walkthrough.txt"
README = Path(__file__).parents[2] / "README.md"
WEEKDAYS = "一二三四五六日"
# The demo sender and a fixed acknowledgement link: every text the walkthrough prints uses them.
VOICE = Voice(county="演示县", organisation="县安委办", phone="0000-1234567")
LINK = "https://duban.example/a/Xk3q9Z"
MAJOR_HEADING = "== 重大事故隐患"


def stamp(at: datetime) -> str:
    t = local(at)
    return f"{t:%Y-%m-%d} 周{WEEKDAYS[t.weekday()]} {t:%H:%M}"


def facts_at(story: Story, at: datetime) -> HazardFacts:
    """The hazard's state when a step fires: the facts of the last event before it (what the
    escalation case holds and puts on `escalation.step_fired`)."""
    facts = story.beats[0].facts
    for beat in story.beats:
        if beat.at <= at:
            facts = beat.facts
    return facts


def texts(story: Story, f: FiredOut) -> list[str]:
    """The SMS each target role's holder receives for this step, as notification builds it:
    the `StepFired` event, the notice item for that chain role (its duty), the v2 SMS text."""
    step = StepFired(
        case_id=f"case-{f.hazard_id}",
        hazard_id=f.hazard_id,
        policy_id=f.policy_id,
        policy_version=f.policy_version,
        step_key=f.step_key,
        step_index=0,
        repeat_index=f.repeat_index,
        action=f.action,
        urgency=f.urgency,
        target_roles=f.targets,
        due_at=f.due_at,
        fired_at=f.fired_at,
        facts=facts_at(story, f.fired_at),
        step_title=f.title,
        open_ended=f.open_ended,
        task_id=f.task_id,
    )
    raw = step.model_dump(mode="json")
    lines = []
    for role in f.targets:
        item = notice_item(step, role.value, None, now=f.fired_at, raw=raw)
        lines.append(f"      {role_label(role.value)}：{sms_text([item], LINK, VOICE)}")
    return lines


def walkthrough(title: str, story: Story, body: dict[str, Any]) -> list[str]:
    entries: list[tuple[datetime, int, int, str]] = []
    for n, beat in enumerate(story.beats):
        entries.append((beat.at, 0, n, f"{stamp(beat.at)}  ▶ {beat.event.value}"))
    for n, raw in enumerate(body["changes"]):
        c = ChangeOut.model_validate(raw)
        line = f"{stamp(c.at)}  · 案件 {c.state}：{c.reason}（{c.policy_id} v{c.policy_version}）"
        entries.append((c.at, 1, n, line))
    for n, raw in enumerate(body["fired"]):
        f = FiredOut.model_validate(raw)
        repeat = f"（第{f.repeat_index}次重复）" if f.repeat_index else ""
        task = " [待办]" if f.task_id else ""
        roles = "、".join(t.value for t in f.targets)
        line = (
            f"{stamp(f.due_at)}    {f.action.value} · {f.urgency.value}{task} · "
            f"{f.title}{repeat} → {roles}"
        )
        entries.append((f.due_at, 2, n, "\n".join([line, *texts(story, f)])))
    return [f"== {title} ==", *(e[3] for e in sorted(entries))]


def major_part(golden: str) -> str:
    """The county-listed major hazard's part of the golden walkthrough."""
    start = golden.index(MAJOR_HEADING)
    return golden[start:].rstrip("\n")


def readme_block() -> str:
    """The ```text block of the README's "Walkthrough of a major hazard" section."""
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("## Walkthrough of a major hazard") :]
    start = section.index("```text\n") + len("```text\n")
    return section[start : section.index("\n```", start)]


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


async def test_walkthrough_of_a_general_and_a_county_listed_major_hazard(
    client: httpx.AsyncClient,
) -> None:
    lines: list[str] = []
    for title, story in (
        (
            "一般事故隐患：登记 → 判定催办 → 限期整改 → 逾期 → 持续督办 → 申请验收 → 验收",
            golden_general(),
        ),
        (
            "重大事故隐患（县级挂牌）：登记 → 判定 → 挂牌 → 公布 → 延期申请与批复 → 逾期 → "
            "持续督办 → 验收 → 摘牌销号",
            golden_major(),
        ),
    ):
        answer = await client.post(
            "/simulate",
            json={"events": story.json_events(), "until": sh(2026, 7, 31).isoformat()},
        )
        assert answer.status_code == 200, answer.text
        lines += [*walkthrough(title, story, answer.json()), ""]
    text = "\n".join(lines)
    print(text)
    if os.environ.get("DUBAN_REGEN_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_readme_walkthrough_of_a_major_hazard_is_the_golden_one() -> None:
    """The README's major-hazard walkthrough is the golden file's major part, word for word."""
    assert readme_block() == major_part(GOLDEN.read_text(encoding="utf-8"))
