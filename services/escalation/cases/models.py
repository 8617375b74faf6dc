"""Escalation cases: one per open hazard, with its policy frozen onto it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.escalation.db import Base
from services.escalation.policy.models import Anchor, Policy
from shared.contract import (
    ChainRole,
    EscalationAction,
    HazardEventType,
    HazardFacts,
    Urgency,
)
from shared.db import UTCDateTime

MAX_STORY = timedelta(days=5 * 366)


class CaseState(StrEnum):
    ACTIVE = "active"  # the overdue ladder runs
    PAUSED = "paused"  # rectification reported: the ladder waits, the acceptance clock runs
    STOPPED = "stopped"  # accepted or closed: nothing fires again


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hazard_id: Mapped[str] = mapped_column(String(100), unique=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("policy_snapshots.id"))
    policy_id: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10))
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rectification_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acceptance_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The county-practice clocks (#11): each anchor is set only while its clock runs.
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    extension_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # An accident's case (#15): its statutory clocks, each set until fulfilled, and the
    # accident as of its last event (AccidentFacts JSON; None for a hazard's case).
    upward_report_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    supplement_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    investigation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    items_missing_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    accident: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Policies the case ran under, oldest first: [{policy_id, version, from, reason}].
    history: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Step indexes a stop condition ended (acknowledged, rectified).
    halted: Mapped[list[int]] = mapped_column(JSON, default=list)
    facts: Mapped[str] = mapped_column(Text)  # HazardFacts JSON as of the last event
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())  # facts or plan; not firings

    # Loaded with the case (an inner join): `get_case(for_update=True)` locks both rows.
    timer: Mapped[CaseTimer] = relationship(
        lazy="joined", innerjoin=True, cascade="all, delete-orphan"
    )

    # The timer's fields, as the flows and views use them.
    @property
    def cursor(self) -> int:
        return self.timer.cursor

    @cursor.setter
    def cursor(self, value: int) -> None:
        self.timer.cursor = value

    @property
    def fence(self) -> int:
        return self.timer.fence

    @fence.setter
    def fence(self, value: int) -> None:
        self.timer.fence = value

    @property
    def next_fire_at(self) -> datetime | None:
        return self.timer.due_at

    @next_fire_at.setter
    def next_fire_at(self, value: datetime | None) -> None:
        self.timer.due_at = value

    @property
    def fired_count(self) -> int:
        return self.timer.fired_count


class CaseTimer(Base):
    """Where a case stands in its timeline, apart from the wide case row.

    Firing a step rewrites only this narrow row and its due-time index entry: the case row
    (facts, anchors, two unique indexes) is read, never written, by the scheduler.
    """

    __tablename__ = "case_timers"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    # Fencing token: bumped by every re-plan, so work computed against an older plan is void.
    fence: Mapped[int] = mapped_column(Integer, default=1)
    # Index into the case's current timeline of the next occurrence to fire.
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fired_count: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        # The scheduler's only query: armed timers by due time. Stopped and finished cases
        # have no due time, so the index holds only timers that will fire.
        Index(
            "ix_case_timers_due",
            "due_at",
            postgresql_where=due_at.isnot(None),
            sqlite_where=due_at.isnot(None),
        ),
    )


# ---------------------------------------------------------------- API schemas
class PlannedStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    step_key: str
    title: str
    step_index: int
    repeat_index: int
    anchor: Anchor
    action: EscalationAction
    urgency: Urgency
    targets: list[ChainRole]
    due_at: AwareDatetime
    provisional: bool  # the working-day calendar of that year is an estimate
    status: str  # done / planned


class PolicyPeriod(BaseModel):
    """One policy version a case ran under (re-selection switches and re-baselines)."""

    policy_id: str
    policy_version: int
    since: AwareDatetime
    reason: str


class CaseOut(BaseModel):
    case_id: str
    hazard_id: str
    state: CaseState
    policy_id: str
    policy_version: int
    fence: int
    cursor: int
    next_fire_at: AwareDatetime | None
    fired_count: int
    started_at: AwareDatetime
    steps: list[PlannedStep]
    history: list[PolicyPeriod] = []


# A story is bounded: a few dozen events over a few years is what a hazard can have.
MAX_EVENTS = 100


class StoryEvent(BaseModel):
    """One hazard event of the story, as hazard_api would publish it."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    event: HazardEventType
    facts: HazardFacts


class FiredOut(BaseModel):
    """A step as it fired in the story: when, what, to whom, under which policy."""

    due_at: AwareDatetime
    fired_at: AwareDatetime
    hazard_id: str
    step_key: str
    title: str | None
    action: EscalationAction
    urgency: Urgency
    targets: list[ChainRole]
    repeat_index: int
    open_ended: bool
    policy_id: str
    policy_version: int
    task_id: str | None


class ChangeOut(BaseModel):
    at: AwareDatetime
    state: str
    reason: str
    policy_id: str
    policy_version: int
    previous_policy_id: str | None
    previous_policy_version: int | None


class StoryOut(BaseModel):
    fired: list[FiredOut] = Field(default_factory=list)
    changes: list[ChangeOut] = Field(default_factory=list)


class SimulateRequest(BaseModel):
    """A hazard's facts (its plan as of now), or its story: events played through the real
    flows with a moved clock until `until`. Optionally a draft policy to try instead of the
    adopted ones."""

    model_config = ConfigDict(extra="forbid")

    facts: HazardFacts | None = None
    events: list[StoryEvent] = Field(default_factory=list, max_length=MAX_EVENTS)
    until: AwareDatetime | None = None
    policy: Policy | None = None

    @model_validator(mode="after")
    def _facts_or_story(self) -> Self:
        if (self.facts is None) == (not self.events):
            raise ValueError("请给出隐患现状（facts）或事件经过（events），二者选一")
        if self.events and self.until is None:
            raise ValueError("按事件经过推演时须给出推演截止时间（until）")
        if self.events and self.until is not None:
            first = min(e.at for e in self.events)
            if self.until < first or self.until - first > MAX_STORY:
                raise ValueError("推演截止时间须在第一个事件之后，且不超过五年")
        return self


class SimulateOut(BaseModel):
    policy_id: str
    policy_version: int
    steps: list[PlannedStep]
    # A story: the steps as they fired and the case's changes (policy switches included).
    fired: list[FiredOut] = []
    changes: list[ChangeOut] = []
