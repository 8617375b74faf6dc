"""A 督办函 through the real chain: the policy's 逾期2个工作日 step asks the county office to
consider one (a task), hazard_api drafts it, nothing is sent as a 督办函 until a person issues
it, and the texts to the chain that follow the issue cite its 文号.

The three services run as `duban run` does it, time moved through the clock offset file,
texts at the Aliyun SMS emulator; on SQLite with the embedded broker and on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DatabaseFactory
from tests.e2e.harness import eventually
from tests.e2e.test_department_chain import (
    ENTERPRISE_PRINCIPAL,
    JIAOTONG_HEAD,
    TOWNSHIP_PRINCIPAL,
    ZHUJIAN_HEAD,
    texts_reach,
)
from tests.e2e.world import DIGEST_WINDOW, START, World, embedded_world, postgres_world

CHAIN = {ENTERPRISE_PRINCIPAL, TOWNSHIP_PRINCIPAL, ZHUJIAN_HEAD, JIAOTONG_HEAD}


def said(w: World, since: int = 0) -> list[tuple[str, str]]:
    return [(a.phone, json.dumps(a.params, ensure_ascii=False)) for a in w.sms.accepted[since:]]


async def run_scenario(w: World) -> None:
    hazard = await w.api(
        "POST",
        "/hazards",
        "office",
        json={
            "unit_id": "ent-tongda",
            "location": "K12+300桥梁施工段",
            "description": "高墩施工危大工程未编制专项施工方案",
            "source": "inspection",
            "found_at": (START - timedelta(hours=20)).isoformat(),
        },
    )
    hid = hazard["id"]
    await w.api(
        "POST",
        f"/hazards/{hid}/classify",
        "office",
        json={"level": "major", "grade": 3, "criterion_id": "JZ-4-4", "deadline_days": 30},
    )
    step: dict[str, Any] = {}

    async def planned() -> bool:
        case = await w.case(hid)
        found = [s for s in (case or {}).get("steps", []) if s["step_key"] == "letter_due"]
        step.update(found[0] if found else {})
        return bool(found)

    await eventually(planned, "escalation case with the 督办函 step")
    from datetime import datetime

    w.clock.set(datetime.fromisoformat(step["due_at"]) + timedelta(seconds=1))

    drafts: list[dict[str, Any]] = []

    async def drafted() -> bool:
        found = await w.api(
            "GET",
            "/documents",
            "office",
            params={"hazard_id": hid, "doc_type": "supervision_letter"},
        )
        drafts[:] = found
        return bool(found)

    await eventually(drafted, "the 督办函 drafted for the county office's task")
    draft = drafts[0]
    assert draft["status"] == "draft" and draft["task_id"] and draft["doc_no"] is None
    tasks = await w.client.get(w.stack.url("escalation") + "/tasks", headers=await w.as_("office"))
    task = next(t for t in tasks.json()["items"] if t["task_id"] == draft["task_id"])
    assert task["kind"] == "supervision_letter" and task["state"] == "open"

    # Until a person issues it, no text tells anybody of an issued 督办函 or a 文号.
    await texts_reach(w, CHAIN, since=0, what="the overdue notices")
    before = said(w)
    assert not [t for t in before if "已印发" in t[1] or "〔" in t[1]], before

    issued = await w.api("POST", f"/documents/{draft['id']}/issue", "office")
    doc_no = issued["doc_no"]
    assert doc_no.startswith("演示县安委督〔2026〕")
    texts_before = len(w.sms.accepted)
    released_by = w.clock.now() + DIGEST_WINDOW * 3

    async def cited() -> bool:
        # The ladder goes on meanwhile (a digest of other overdue items may come first): wait
        # for the text of the issued letter itself to reach each person of the chain.
        if {p for p, text in said(w, texts_before) if doc_no in text} >= CHAIN:
            return True
        if w.clock.now() < released_by:
            w.clock.advance(timedelta(minutes=1))
        return False

    await eventually(cited, "the 督办函 issued: a text citing its 文号 to each", within_s=120)
    letters = [t for t in said(w, texts_before) if t[0] in CHAIN and "督办函" in t[1]]
    assert letters and all(doc_no in text for _, text in letters), letters

    async def closed() -> bool:
        r = await w.client.get(w.stack.url("escalation") + "/tasks", headers=await w.as_("office"))
        return draft["task_id"] not in {t["task_id"] for t in r.json()["items"]}

    await eventually(closed, "the 拟发督办函 task done")


async def test_supervision_letter_on_the_embedded_configuration(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        await run_scenario(w)


@pytest.mark.usefixtures("pg_available")
async def test_supervision_letter_on_postgresql(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    async with postgres_world(tmp_path, make_database_url, external=False) as w:
        await run_scenario(w)
