"""Accidents reach the county chain at once (#15): a quick report, or a change of class, fires
an `immediate` step at the accident's county chain — the only urgency notification lets through
at night and never holds for a digest.

The accident's statutory clocks (the 2-hour upward report, the supplementary window, the
investigation and its decision) are chased by timed steps of a case of their own (clocks.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.db import outbox_tables
from shared.accident_labels import ACCIDENT_CLASS_LABELS
from shared.contract import (
    ESCALATION_EVENTS,
    AccidentEvent,
    AccidentEventType,
    AccidentFacts,
    ChainRole,
    Envelope,
    EscalationAction,
    HazardFacts,
    HazardStatus,
    Producer,
    StepFired,
    Urgency,
)
from shared.outbox import add_event

POLICY_ID = "accident-immediate"
POLICY_VERSION = 1
# The county chain for an accident: the principals (党政同责), the leader in charge of safety,
# the portfolio leader, the heads of 应急管理 (the county office) and of the supervising
# department, the township's principal and party secretary.
COUNTY_CHAIN: tuple[ChainRole, ...] = (
    ChainRole.COUNTY_PRINCIPAL,
    ChainRole.COUNTY_PARTY_SECRETARY,
    ChainRole.COUNTY_SAFETY_LEADER,
    ChainRole.COUNTY_PORTFOLIO_LEADER,
    ChainRole.COUNTY_OFFICE,
    ChainRole.DEPARTMENT_HEAD,
    ChainRole.TOWNSHIP_PRINCIPAL,
    ChainRole.TOWNSHIP_PARTY_SECRETARY,
)
STEPS: dict[AccidentEventType, tuple[str, str]] = {
    AccidentEventType.REPORTED: ("accident_reported", "生产安全事故快报"),
    AccidentEventType.CLASS_CHANGED: ("accident_class_changed", "事故等级变化"),
}


def unit_facts(a: AccidentFacts) -> HazardFacts:
    """The accident's unit in the shape the chain resolution reads."""
    return HazardFacts(
        hazard_id=a.accident_id,
        code=a.code,
        status=HazardStatus.REPORTED,
        unit_id=a.unit_id,
        unit_name=a.unit_name,
        area_code=a.area_code[:6],
        industry_code=a.industry_code,
        township_id=a.township_id,
        department_ids=a.department_ids,
        description=f"{ACCIDENT_CLASS_LABELS[a.accident_class]}：{a.code}",
        reported_at=a.received_at,
    )


async def on_accident(
    session: AsyncSession, event: AccidentEvent, *, event_id: str, now: datetime
) -> None:
    """In the consumer's transaction (redelivery is a no-op: the consumer records the event
    id): the step's event, keyed by the accident, with an id derived from the source event."""
    step = STEPS.get(event.event)
    if step is None:
        return
    key, title = step
    facts = event.facts
    fired = StepFired(
        case_id=f"accident:{facts.accident_id}",
        hazard_id=facts.accident_id,
        policy_id=POLICY_ID,
        policy_version=POLICY_VERSION,
        step_key=key,
        step_index=0,
        action=EscalationAction.ACCIDENT_ALERT,
        urgency=Urgency.IMMEDIATE,
        target_roles=list(COUNTY_CHAIN),
        due_at=now,
        fired_at=now,
        facts=unit_facts(facts),
        step_title=title,
        accident=facts,
    )
    envelope = Envelope.of(
        fired,
        aggregate_id=facts.accident_id,
        producer=Producer.ESCALATION,
        occurred_at=now,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"duban:accident-alert:{event_id}"),
    )
    await add_event(session, outbox_tables.outbox, envelope, ESCALATION_EVENTS, now=now)
