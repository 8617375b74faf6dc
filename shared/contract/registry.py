"""Every event type and version with its payload model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.contract.accidents import AccidentEvent, CampaignEvent, SuspensionEvent
from shared.contract.documents import DocumentIssued
from shared.contract.escalation import (
    AuditorAnomaly,
    CaseChanged,
    ReportDue,
    StepFired,
    TaskClosed,
    TaskCreated,
)
from shared.contract.hazards import HazardEvent
from shared.contract.notification import NotificationAlert, NotificationChanged
from shared.contract.org import (
    AccountChanged,
    CalendarScheduleLoaded,
    PersonUpserted,
    PostRemoved,
    PostUpserted,
    UnitUpserted,
)
from shared.contract.reporting import ReportingAlert

EVENT_TYPES: dict[tuple[str, int], type[BaseModel]] = {
    ("org.unit_upserted", 1): UnitUpserted,
    ("org.person_upserted", 1): PersonUpserted,
    ("org.post_upserted", 1): PostUpserted,
    ("org.post_removed", 1): PostRemoved,
    ("org.account_changed", 1): AccountChanged,
    ("org.calendar_schedule_loaded", 1): CalendarScheduleLoaded,
    ("hazard.event", 1): HazardEvent,
    ("accident.event", 1): AccidentEvent,
    ("suspension.event", 1): SuspensionEvent,
    ("campaign.event", 1): CampaignEvent,
    ("document.issued", 1): DocumentIssued,
    ("escalation.step_fired", 1): StepFired,
    ("escalation.case_changed", 1): CaseChanged,
    ("escalation.anomaly", 1): AuditorAnomaly,
    ("escalation.task_created", 1): TaskCreated,
    ("escalation.task_closed", 1): TaskClosed,
    ("escalation.report_due", 1): ReportDue,
    ("notification.changed", 1): NotificationChanged,
    ("notification.alert", 1): NotificationAlert,
    ("reporting.alert", 1): ReportingAlert,
}
PAYLOAD_MODELS = EVENT_TYPES
EVENT_TYPES_BY_MODEL: dict[type[BaseModel], tuple[str, int]] = {
    model: key for key, model in EVENT_TYPES.items()
}


def contract_schema() -> dict[str, Any]:
    """JSON Schema of every event type (AsyncAPI-style documentation of the topics)."""
    return {
        f"{name}@v{version}": model.model_json_schema()
        for (name, version), model in EVENT_TYPES.items()
    }
