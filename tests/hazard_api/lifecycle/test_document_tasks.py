"""Escalation's 拟发督办函 task drafts a 督办函 in hazard_api (as its timeline consumer would):
once per task, a draft only — no 文号 and no document.issued until a person issues it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.documents.models import Document
from services.hazard_api.documents.tasks import on_task_created
from shared.clock import TestClock
from shared.contract import ChainRole, HazardFacts, TaskCreated, TaskKind
from shared.db import transaction
from tests.hazard_api.lifecycle.conftest import Api, EventsLoader
from tests.hazard_api.lifecycle.documents import rectifying_hazard


def task(hazard: dict[str, Any], kind: TaskKind, task_id: str, clock: TestClock) -> TaskCreated:
    facts = HazardFacts.model_validate(
        {k: hazard[k] for k in HazardFacts.model_fields if k in hazard}
        | {"hazard_id": hazard["id"]}
    )
    return TaskCreated(
        task_id=task_id,
        case_id="case-1",
        hazard_id=hazard["id"],
        kind=kind,
        title="逾期7个工作日：建议以县安委办名义发督办函",
        assignee_role=ChainRole.COUNTY_OFFICE,
        step_key="letter_due",
        due_at=clock.now(),
        created_at=clock.now(),
        facts=facts,
    )


async def test_a_letter_task_drafts_one_letter_and_sends_nothing(
    api: Api, app: FastAPI, clock: TestClock, outbox_events: EventsLoader
) -> None:
    h = await rectifying_hazard(api)
    clock.advance(days=12)
    settings = app.state.settings
    letter = task(h, TaskKind.SUPERVISION_LETTER, "t-letter", clock)
    for _ in range(2):  # a redelivered task finds its draft
        async with transaction(app.state.sessionmaker) as session:
            await on_task_created(session, letter, settings)
    async with transaction(app.state.sessionmaker) as session:
        await on_task_created(session, task(h, TaskKind.INTERVIEW, "t-talk", clock), settings)

    drafts = (await api.as_("office").get("/documents", params={"hazard_id": h["id"]})).json()
    assert [(d["doc_type"], d["status"], d["task_id"]) for d in drafts] == [
        ("supervision_letter", "draft", "t-letter")
    ]
    assert drafts[0]["doc_no"] is None and "已逾期" in drafts[0]["body"]
    assert "document.issued" not in {e.type for e in await outbox_events(h["id"])}
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(Document).where(Document.task_id == "t-letter"))
        assert row is not None and row.drafted_by_user_id is None

    clock.advance(timedelta(hours=1))
    issued = await api.as_("office").post(f"/documents/{drafts[0]['id']}/issue")
    assert issued.status_code == 200, issued.text
    events = [e for e in await outbox_events(h["id"]) if e.type == "document.issued"]
    assert [e.payload["task_id"] for e in events] == ["t-letter"]
    assert events[0].payload["doc_no"] == issued.json()["doc_no"]
