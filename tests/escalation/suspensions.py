"""Factories for a 停产整顿 order's events (复工复产: application, review, acceptance)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.clock import SHANGHAI
from shared.contract import (
    Envelope,
    Producer,
    SuspensionEvent,
    SuspensionEventType,
    SuspensionFacts,
    SuspensionStatus,
)

SUSPENSION = "susp-hongxing-1"
ORDER_NO = "示应急停〔2027〕5号"


def suspension_facts(
    status: SuspensionStatus = SuspensionStatus.APPLIED, **kw: Any
) -> SuspensionFacts:
    values: dict[str, Any] = {
        "suspension_id": SUSPENSION,
        "status": status,
        "unit_id": "ent-hongxing",
        "unit_name": "红星烟花爆竹有限公司",
        "township_id": "tw-east",
        "department_ids": ["dep-yjj", "dep-other"],
        "order_no": ORDER_NO,
        "ordered_at": datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI),
        "actor_person_id": "p-east-head",
    }
    return SuspensionFacts(**(values | kw))


def suspension_event(
    kind: SuspensionEventType, at: datetime, facts: SuspensionFacts | None = None
) -> Envelope:
    event = SuspensionEvent(event=kind, facts=facts or suspension_facts())
    return Envelope.of(event, aggregate_id=SUSPENSION, producer=Producer.HAZARD_API, occurred_at=at)
