"""Creating tasks when a `task` step fires, and closing them (with the events for each)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.db import outbox_tables
from services.escalation.policy.models import Step
from services.escalation.tasks.models import Task
from shared.contract import (
    ESCALATION_EVENTS,
    ChainRole,
    Envelope,
    HazardFacts,
    Producer,
    TaskClosed,
    TaskCreated,
    TaskKind,
    TaskState,
)
from shared.outbox import add_event, add_events

TASK_NAMESPACE = uuid.UUID("3c7e2a14-8d5b-5f6a-9b0c-1e2d3f4a5b6c")


def task_id_for(step_event_id: str) -> str:
    """One task per fired step: derived from the step's event id, like the event itself."""
    return str(uuid.uuid5(TASK_NAMESPACE, step_event_id))


@dataclass(frozen=True, slots=True)
class FiredTask:
    task_id: str
    case_id: str
    hazard_id: str
    step: Step
    repeat_index: int
    due_at: datetime
    facts: str


async def create_tasks(session: AsyncSession, fired: Sequence[FiredTask], *, now: datetime) -> None:
    """Inside the scheduler's transaction: the task rows and their `task_created` events."""
    if not fired:
        return
    events = []
    for f in fired:
        assert f.step.task is not None  # a `task` step names its task (validated)
        # The county office decides; a step's first target is whom the task is for.
        assignee = (
            ChainRole.COUNTY_OFFICE
            if ChainRole.COUNTY_OFFICE in f.step.targets
            else f.step.targets[0]
        )
        session.add(
            Task(
                id=f.task_id,
                case_id=f.case_id,
                hazard_id=f.hazard_id,
                kind=f.step.task.value,
                title=f.step.title,
                assignee_role=assignee.value,
                step_key=f.step.key,
                repeat_index=f.repeat_index,
                state=TaskState.OPEN.value,
                due_at=f.due_at,
                created_at=now,
                facts=f.facts,
            )
        )
        created = TaskCreated(
            task_id=f.task_id,
            case_id=f.case_id,
            hazard_id=f.hazard_id,
            kind=f.step.task,
            title=f.step.title,
            assignee_role=assignee,
            step_key=f.step.key,
            repeat_index=f.repeat_index,
            due_at=f.due_at,
            created_at=now,
            facts=HazardFacts.model_validate_json(f.facts),
        )
        envelope = Envelope.of(
            created,
            aggregate_id=f.hazard_id,
            producer=Producer.ESCALATION,
            occurred_at=now,
            event_id=uuid.uuid5(TASK_NAMESPACE, f"created/{f.task_id}"),
        )
        events.append((envelope, ESCALATION_EVENTS))
    await session.flush()
    await add_events(session, outbox_tables.outbox, events, now=now)


@dataclass(frozen=True, slots=True)
class RaisedTask:
    """A task an event raises (not a step): a failed notice, an accident's 瞒报核查 …"""

    task_id: str
    case_id: str | None
    hazard_id: str
    kind: TaskKind
    title: str
    assignee: ChainRole
    step_key: str
    repeat_index: int
    due_at: datetime
    facts: HazardFacts


async def raise_task(
    session: AsyncSession, t: RaisedTask, *, namespace: uuid.UUID, now: datetime
) -> None:
    """In the consumer's transaction: the task row and its `task_created` event (its id
    derived from the task's, so a redelivered event cannot write it twice)."""
    session.add(
        Task(
            id=t.task_id,
            case_id=t.case_id,
            hazard_id=t.hazard_id,
            kind=t.kind.value,
            title=t.title,
            assignee_role=t.assignee.value,
            step_key=t.step_key,
            repeat_index=t.repeat_index,
            state=TaskState.OPEN.value,
            due_at=t.due_at,
            created_at=now,
            facts=t.facts.model_dump_json(),
        )
    )
    created = TaskCreated(
        task_id=t.task_id,
        case_id=t.case_id,
        hazard_id=t.hazard_id,
        kind=t.kind,
        title=t.title,
        assignee_role=t.assignee,
        step_key=t.step_key,
        repeat_index=t.repeat_index,
        due_at=t.due_at,
        created_at=now,
        facts=t.facts,
    )
    envelope = Envelope.of(
        created,
        aggregate_id=t.hazard_id,
        producer=Producer.ESCALATION,
        occurred_at=now,
        event_id=uuid.uuid5(namespace, f"created/{t.task_id}"),
    )
    await session.flush()
    await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)


async def close_task(
    session: AsyncSession, task: Task, *, closed_by: str, note: str, now: datetime
) -> None:
    task.state = TaskState.DONE.value
    task.closed_at = now
    task.closed_by = closed_by
    task.note = note
    closed = TaskClosed(
        task_id=task.id,
        case_id=task.case_id,
        hazard_id=task.hazard_id,
        kind=TaskKind(task.kind),
        closed_by=closed_by,
        note=note,
        closed_at=now,
    )
    envelope = Envelope.of(
        closed, aggregate_id=task.hazard_id, producer=Producer.ESCALATION, occurred_at=now
    )
    await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)
