"""HTTP: the county office's open tasks, and closing one with a note of what was decided."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from services.escalation.callers import CallerDep
from services.escalation.cases.views import RuntimeDep
from services.escalation.tasks import service
from services.escalation.tasks.flows import close_task
from services.escalation.tasks.models import Task, TaskDone, TaskList, TaskOut
from shared.contract import ChainRole, HazardFacts, TaskKind, TaskState
from shared.db import transaction
from shared.labels import TASK_KIND_LABELS

router = APIRouter(tags=["tasks"])

TaskId = Annotated[str, Path(min_length=1, max_length=36)]


def task_out(task: Task) -> TaskOut:
    facts = HazardFacts.model_validate_json(task.facts)
    kind = TaskKind(task.kind)
    return TaskOut(
        task_id=task.id,
        case_id=task.case_id,
        hazard_id=task.hazard_id,
        hazard_code=facts.code,
        unit_name=facts.unit_name,
        kind=kind,
        kind_label=TASK_KIND_LABELS[kind],
        title=task.title,
        assignee_role=ChainRole(task.assignee_role),
        state=TaskState(task.state),
        due_at=task.due_at,
        created_at=task.created_at,
        closed_at=task.closed_at,
        closed_by=task.closed_by,
        note=task.note,
    )


@router.get("/tasks", response_model=TaskList)
async def list_tasks(
    runtime: RuntimeDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    # Bounded: an offset past any county's tasks is a mistake, not a 5xx-prone bigint.
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskList:
    """Open tasks (待办), oldest first: only the county office decides them."""
    caller.require_county_office()
    async with runtime.sessionmaker() as session:
        rows, total = await service.open_tasks(session=session, limit=limit, offset=offset)
        return TaskList(items=[task_out(t) for t in rows], total=total)


@router.post("/tasks/{task_id}/done", response_model=TaskOut)
async def finish_task(
    task_id: TaskId, body: TaskDone, runtime: RuntimeDep, caller: CallerDep
) -> TaskOut:
    """Close a task with a note of what was decided (e.g. 已于某日约谈, 文号)."""
    caller.require_county_office()
    async with transaction(runtime.sessionmaker) as session:
        task = await service.get_task(session=session, task_id=task_id, for_update=True)
        if task is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "未找到该待办事项")
        if task.state != TaskState.OPEN.value:
            raise HTTPException(status.HTTP_409_CONFLICT, "该待办事项已办结，不能重复办结")
        await close_task(
            session, task, closed_by=caller.user_id, note=body.note, now=runtime.clock.now()
        )
        return task_out(task)
