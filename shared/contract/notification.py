"""notification.events: delivery status and alerts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from shared.contract.base import Payload
from shared.contract.vocabulary import ChainRole, Channel


class NotificationStatus(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"


class NotificationChanged(Payload):
    """A notice to one person on one channel changed state (sent/delivered/failed/acknowledged)."""

    notification_id: str
    request_event_id: str  # the escalation event that asked for it
    hazard_ids: list[str]
    person_id: str
    person_name: str
    chain_role: ChainRole | None = None
    channel: Channel
    provider: str | None = None
    status: NotificationStatus
    at: AwareDatetime
    detail: str | None = None


class NotificationAlert(Payload):
    """Something no retry will fix: a notice failed for good or dead-lettered, or a role
    nobody holds. Escalation turns failed deliveries into tasks for the county office."""

    # "dead_letter": no channel reached the person; "delivery_failed": one channel failed for
    # good, another still may; "unresolvable": a role nobody holds.
    kind: str
    request_event_id: str
    hazard_ids: list[str]
    person_id: str | None = None
    person_name: str | None = None
    channel: Channel | None = None  # of the failed delivery
    notification_id: str | None = None
    detail: str
    at: AwareDatetime
