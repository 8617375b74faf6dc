"""The event contract between the services: topics, the envelope and typed payloads.

This module is the contract. A consumer parses every message with `Envelope.parse_message`
and `envelope.typed_payload()`; what does not parse goes to `<topic>.dlq`.
Changing a payload incompatibly means a new `version` of its event type.
"""

from shared.contract.accidents import (
    AccidentClass,
    AccidentEvent,
    AccidentEventType,
    AccidentFacts,
    AccidentReportFacts,
    AccidentStatus,
    CampaignEvent,
    CampaignEventType,
    CampaignFacts,
    CampaignStatus,
    SuspensionEvent,
    SuspensionEventType,
    SuspensionFacts,
    SuspensionStatus,
)
from shared.contract.documents import (
    DocumentIssued,
    DocumentRef,
    DocumentType,
)
from shared.contract.envelope import (
    Envelope,
)
from shared.contract.escalation import (
    AuditorAnomaly,
    CaseChanged,
    ReportDue,
    ReportKind,
    StepFired,
    TaskClosed,
    TaskCreated,
)
from shared.contract.hazards import (
    HazardEvent,
    HazardEventType,
    HazardFacts,
)
from shared.contract.notification import (
    NotificationAlert,
    NotificationChanged,
    NotificationStatus,
)
from shared.contract.org import (
    AccountChanged,
    CalendarScheduleLoaded,
    PersonUpserted,
    PostRemoved,
    PostUpserted,
    UnitUpserted,
)
from shared.contract.registry import (
    EVENT_TYPES,
    EVENT_TYPES_BY_MODEL,
    PAYLOAD_MODELS,
    contract_schema,
)
from shared.contract.reporting import (
    ReportingAlert,
)
from shared.contract.topics import (
    ACCIDENT_EVENTS,
    ALL_TOPICS,
    DLQ_SUFFIX,
    ESCALATION_EVENTS,
    HAZARD_EVENTS,
    NOTIFICATION_EVENTS,
    ORG_EVENTS,
    REPORTING_EVENTS,
    TOPIC_PRODUCERS,
    Producer,
    dlq_topic,
)
from shared.contract.vocabulary import (
    ChainRole,
    Channel,
    DeadlineKind,
    EnterpriseStatus,
    EscalationAction,
    HazardLevel,
    HazardStatus,
    ListingLevel,
    PostRole,
    TaskKind,
    TaskState,
    UnitKind,
    Urgency,
)

__all__ = [
    "ACCIDENT_EVENTS",
    "ALL_TOPICS",
    "DLQ_SUFFIX",
    "ESCALATION_EVENTS",
    "EVENT_TYPES",
    "EVENT_TYPES_BY_MODEL",
    "HAZARD_EVENTS",
    "NOTIFICATION_EVENTS",
    "ORG_EVENTS",
    "PAYLOAD_MODELS",
    "REPORTING_EVENTS",
    "TOPIC_PRODUCERS",
    "AccidentClass",
    "AccidentEvent",
    "AccidentEventType",
    "AccidentFacts",
    "AccidentReportFacts",
    "AccidentStatus",
    "AccountChanged",
    "AuditorAnomaly",
    "CalendarScheduleLoaded",
    "CampaignEvent",
    "CampaignEventType",
    "CampaignFacts",
    "CampaignStatus",
    "CaseChanged",
    "ChainRole",
    "Channel",
    "DeadlineKind",
    "DocumentIssued",
    "DocumentRef",
    "DocumentType",
    "EnterpriseStatus",
    "Envelope",
    "EscalationAction",
    "HazardEvent",
    "HazardEventType",
    "HazardFacts",
    "HazardLevel",
    "HazardStatus",
    "ListingLevel",
    "NotificationAlert",
    "NotificationChanged",
    "NotificationStatus",
    "PersonUpserted",
    "PostRemoved",
    "PostRole",
    "PostUpserted",
    "Producer",
    "ReportDue",
    "ReportKind",
    "ReportingAlert",
    "StepFired",
    "SuspensionEvent",
    "SuspensionEventType",
    "SuspensionFacts",
    "SuspensionStatus",
    "TaskClosed",
    "TaskCreated",
    "TaskKind",
    "TaskState",
    "UnitKind",
    "UnitUpserted",
    "Urgency",
    "contract_schema",
    "dlq_topic",
]
