"""Escalation's 拟发督办函 task drafts a 督办函 here: a DRAFT only, in the county office's
queue. Nothing reaches anybody as a 督办函 until a person issues it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.documents.kind import Target, new_draft
from services.hazard_api.documents.models import Document
from services.hazard_api.documents.schemas import DraftIn
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Context
from shared.contract import DocumentType, HazardStatus, TaskCreated, TaskKind

# Who drafted it, in the audit chain: the escalation service on the county office's behalf.
ESCALATION = AuthUser(
    id="escalation",
    username="督办系统",
    role=UserRole.COUNTY_OFFICE,
    unit_id="",
    person_id=None,
    scopes=frozenset(),
)


async def on_task_created(session: AsyncSession, task: TaskCreated, settings: Settings) -> None:
    """In the consumer's transaction; a task seen again finds its draft and does nothing."""
    if task.kind != TaskKind.SUPERVISION_LETTER:
        return
    if await session.scalar(select(Document.id).where(Document.task_id == task.task_id)):
        return
    hazard = await session.get(Hazard, task.hazard_id)
    if hazard is None or hazard.status == HazardStatus.VOIDED.value:
        return
    data = DraftIn(doc_type=DocumentType.SUPERVISION_LETTER, hazard_id=hazard.id)
    ctx = Context(session, ESCALATION, task.created_at, settings)
    await new_draft(data, Target(hazard, None), ctx, task_id=task.task_id)
