"""A 督办函 a person issued (hazard_api's document.issued): the 拟发督办函 task it answers is
done, and the hazard's chain is told — the texts cite the 文号 and link to the document."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import service
from services.escalation.db import outbox_tables
from services.escalation.tasks.flows import close_task
from services.escalation.tasks.models import Task
from shared.contract import (
    ESCALATION_EVENTS,
    ChainRole,
    DocumentIssued,
    DocumentRef,
    DocumentType,
    Envelope,
    EscalationAction,
    HazardFacts,
    Producer,
    StepFired,
    TaskState,
    Urgency,
)
from shared.outbox import add_event

STEP_KEY = "document_issued"
# Whom a 督办函 is about: the enterprise that must fix, the township and department that must
# urge, the county leader whose portfolio covers them.
CHAIN: tuple[ChainRole, ...] = (
    ChainRole.ENTERPRISE_PRINCIPAL,
    ChainRole.TOWNSHIP_PRINCIPAL,
    ChainRole.TOWNSHIP_IN_CHARGE,
    ChainRole.DEPARTMENT_HEAD,
    ChainRole.DEPARTMENT_IN_CHARGE,
    ChainRole.COUNTY_PORTFOLIO_LEADER,
)
TOLD = frozenset({DocumentType.SUPERVISION_LETTER})


async def on_issued(
    session: AsyncSession, issued: DocumentIssued, *, event_id: str, now: datetime
) -> None:
    """In the consumer's transaction; the step's event id derives from the source event, so a
    redelivery adds nothing new."""
    if issued.doc_type not in TOLD or issued.hazard_id is None:
        return
    task = await session.get(Task, issued.task_id) if issued.task_id else None
    if task is not None and task.state == TaskState.OPEN.value:
        await close_task(
            session,
            task,
            closed_by=issued.issued_by_person_id or "hazard_api",
            note=f"已印发督办函（{issued.doc_no}）",
            now=now,
        )
    case = await service.get_case(session=session, hazard_id=issued.hazard_id)
    if case is None:
        return  # no case, no chain to tell (the hazard was never chased)
    fired = StepFired(
        case_id=case.id,
        hazard_id=issued.hazard_id,
        policy_id=case.policy_id,
        policy_version=case.policy_version,
        step_key=STEP_KEY,
        step_index=0,
        action=EscalationAction.DOCUMENT_ISSUED,
        urgency=Urgency.NORMAL,
        target_roles=list(CHAIN),
        due_at=now,
        fired_at=now,
        facts=HazardFacts.model_validate_json(case.facts),
        step_title=f"{issued.issuing_body}印发督办函",
        task_id=issued.task_id,
        document=DocumentRef(
            document_id=issued.document_id,
            doc_type=issued.doc_type,
            doc_no=issued.doc_no,
            title=issued.title,
            issuing_body=issued.issuing_body,
            url=issued.url,
        ),
    )
    envelope = Envelope.of(
        fired,
        aggregate_id=issued.hazard_id,
        producer=Producer.ESCALATION,
        occurred_at=now,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"duban:document-issued:{event_id}"),
    )
    await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)
