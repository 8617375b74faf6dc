"""Tasks: recommendations an escalation step puts before the county office (约谈, 停产整顿 …).

A step never announces a sanction; it asks a person with authority to decide, and the task
stays open until that person closes it with a note of what was decided.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.escalation.db import Base
from shared.contract import ChainRole, TaskKind, TaskState
from shared.db import UTCDateTime
from shared.text_fields import LongText


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # None for a campaign's task: no case chases a campaign (`hazard_id` is then its id).
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    hazard_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    assignee_role: Mapped[str] = mapped_column(String(40))
    step_key: Mapped[str] = mapped_column(String(60))
    repeat_index: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    facts: Mapped[str] = mapped_column(Text)  # HazardFacts JSON when the task was created
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_tasks_state_created", "state", "created_at"),)


class TaskOut(BaseModel):
    task_id: str
    case_id: str | None
    hazard_id: str
    hazard_code: str | None
    unit_name: str
    kind: TaskKind
    kind_label: str
    title: str
    assignee_role: ChainRole
    state: TaskState
    due_at: AwareDatetime
    created_at: AwareDatetime
    closed_at: AwareDatetime | None
    closed_by: str | None
    note: str | None


class TaskList(BaseModel):
    items: list[TaskOut]
    total: int


class TaskDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: LongText = Field(description="办理结果（如：已于某日约谈）")
