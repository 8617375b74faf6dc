"""The whole timeline of a general hazard and of a county-listed major hazard, from report to
close, as `POST /simulate` plays it with a moved clock: each step's Beijing time, action,
urgency, title and target roles, compared with `golden/walkthrough.txt` (the README's
walkthrough). Regenerate after a deliberate policy change: `DUBAN_REGEN_GOLDEN=1 pytest …`.
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
from shared.clock import TestClock, local
from tests.escalation.conftest import make_settings, sh
from tests.escalation.stories import Story, golden_general, golden_major

GOLDEN = Path(__file__).parent / "golden" / "walkthrough.txt"
WEEKDAYS = "一二三四五六日"


def stamp(at: datetime) -> str:
    t = local(at)
    return f"{t:%Y-%m-%d} 周{WEEKDAYS[t.weekday()]} {t:%H:%M}"


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
        entries.append((f.due_at, 2, n, line))
    return [f"== {title} ==", *(e[3] for e in sorted(entries))]


@pytest.fixture
async def client(database_url: str, clock: TestClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database_url, run_consumer=False, run_relay=False, run_scheduler=False, run_auditor=False
    )
    app: FastAPI = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as c:
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
