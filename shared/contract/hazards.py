"""hazard.events: a hazard's facts after each transition."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from shared.contract.base import Payload
from shared.contract.vocabulary import DeadlineKind, HazardLevel, HazardStatus, ListingLevel


class HazardFacts(Payload):
    """What every hazard event carries: the hazard's state after the transition."""

    hazard_id: str
    code: str | None = None  # human-readable number, e.g. 隐患编号
    status: HazardStatus
    level: HazardLevel | None = None
    grade: int | None = Field(default=None, ge=1, le=3)
    unit_id: str
    unit_name: str
    area_code: str
    industry_code: str | None = None
    township_id: str | None = None
    department_ids: list[str] = []
    description: str
    deadline_at: AwareDatetime | None = None
    deadline_kind: DeadlineKind | None = None
    deadline_provisional: bool = False
    listing_level: ListingLevel | None = None
    listing_body_id: str | None = None
    listed_at: AwareDatetime | None = None
    classified_at: AwareDatetime | None = None
    rectification_reported_at: AwareDatetime | None = None
    acceptance_due_at: AwareDatetime | None = None
    actor_person_id: str | None = None
    # Added for county practice (#11); optional so older events still parse.
    source: str | None = None  # who found it: self_check, inspection, complaint, 督查 …
    reported_at: AwareDatetime | None = None
    listing_published_at: AwareDatetime | None = None  # 挂牌公布
    extension_requested_at: AwareDatetime | None = None  # a request awaiting its decision
    accepted_at: AwareDatetime | None = None  # 验收通过: the delisting clock starts


class HazardEventType(StrEnum):
    REPORTED = "hazard.reported"
    CLASSIFIED = "hazard.classified"
    RECTIFICATION_STARTED = "hazard.rectification_started"
    LISTED = "hazard.listed"
    LISTING_RAISED = "hazard.listing_raised"
    EXTENSION_REQUESTED = "hazard.extension_requested"
    EXTENSION_APPROVED = "hazard.extension_approved"
    EXTENSION_REJECTED = "hazard.extension_rejected"
    RECTIFICATION_REPORTED = "hazard.rectification_reported"
    ACCEPTANCE_FAILED = "hazard.acceptance_failed"
    ACCEPTED = "hazard.accepted"
    CLOSED = "hazard.closed"
    LISTING_PUBLISHED = "hazard.listing_published"  # 挂牌督办通知书公布
    RECLASSIFIED = "hazard.reclassified"  # 一般 ↔ 重大, with a reason
    VOIDED = "hazard.voided"  # 作废, with a reason
    # The official holiday schedule of a year was loaded: a working-day deadline moved (#12).
    DEADLINE_RECOMPUTED = "hazard.deadline_recomputed"


class HazardEvent(Payload):
    """One hazard transition; `event` names it, `facts` is the state after it."""

    event: HazardEventType
    facts: HazardFacts
    note: str | None = None
