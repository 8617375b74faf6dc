"""Events that raise (or close) county-office tasks, each by its own module, all alike:
`(session, payload, *, event_id, now)` in the consumer's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.escalation.campaigns.reminders import on_campaign
from services.escalation.suspensions.resumption import on_suspension
from services.escalation.tasks.alerts import on_alert
from services.escalation.tasks.documents import on_issued
from services.escalation.tasks.reporting_alerts import on_reporting_alert
from shared.contract import (
    CampaignEvent,
    DocumentIssued,
    NotificationAlert,
    ReportingAlert,
    SuspensionEvent,
)

Raiser = Callable[..., Awaitable[None]]
RAISERS: dict[type[Any], Raiser] = {
    NotificationAlert: on_alert,
    DocumentIssued: on_issued,
    CampaignEvent: on_campaign,
    ReportingAlert: on_reporting_alert,
    SuspensionEvent: on_suspension,
}
