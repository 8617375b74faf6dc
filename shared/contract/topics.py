"""Topic names, their dead-letter topics and which service produces each."""

from __future__ import annotations

from enum import StrEnum

HAZARD_EVENTS = "hazard.events"
ORG_EVENTS = "org.events"
ESCALATION_EVENTS = "escalation.events"
NOTIFICATION_EVENTS = "notification.events"
# Accidents (生产安全事故) and 停产整顿 / 复工复产验收 (#15): their own topic, so consumers of
# hazard.events never meet a payload they do not know.
ACCIDENT_EVENTS = "accident.events"
# The reporting service's own events (its alerts to the county office, #16).
REPORTING_EVENTS = "reporting.events"
ALL_TOPICS = (
    HAZARD_EVENTS,
    ORG_EVENTS,
    ESCALATION_EVENTS,
    NOTIFICATION_EVENTS,
    ACCIDENT_EVENTS,
    REPORTING_EVENTS,
)
DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


class Producer(StrEnum):
    HAZARD_API = "hazard_api"
    ESCALATION = "escalation"
    NOTIFICATION = "notification"
    REPORTING = "reporting"


# The one service that publishes each topic (the repair asks it for what it sent).
TOPIC_PRODUCERS = {
    HAZARD_EVENTS: Producer.HAZARD_API,
    ORG_EVENTS: Producer.HAZARD_API,
    ESCALATION_EVENTS: Producer.ESCALATION,
    NOTIFICATION_EVENTS: Producer.NOTIFICATION,
    ACCIDENT_EVENTS: Producer.HAZARD_API,
    REPORTING_EVENTS: Producer.REPORTING,
}
