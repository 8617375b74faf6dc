"""Task rows in the database (keyword-only `session`); no rules, no events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.tasks.models import Task
from shared.contract import TaskState


async def open_tasks(
    *, session: AsyncSession, limit: int, offset: int
) -> tuple[Sequence[Task], int]:
    where = Task.state == TaskState.OPEN.value
    total = await session.scalar(select(func.count()).select_from(Task).where(where))
    rows = await session.scalars(
        select(Task).where(where).order_by(Task.created_at, Task.id).limit(limit).offset(offset)
    )
    return rows.all(), int(total or 0)


async def get_task(*, session: AsyncSession, task_id: str, for_update: bool = False) -> Task | None:
    query = select(Task).where(Task.id == task_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)
