"""Escalation cases: one per open hazard, with its policy frozen onto it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.escalation.db import Base
from services.escalation.policy.models import Anchor, Policy
from shared.contract import ChainRole, EscalationAction, HazardFacts, Urgency
from shared.db import UTCDateTime


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
    # Index into the case's current timeline of the next occurrence to fire.
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    # Fencing token: bumped by every re-plan, so work computed against an older plan is void.
    fence: Mapped[int] = mapped_column(Integer, default=1)
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rectification_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acceptance_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Step indexes a stop condition ended (acknowledged, rectified).
    halted: Mapped[list[int]] = mapped_column(JSON, default=list)
    facts: Mapped[str] = mapped_column(Text)  # HazardFacts JSON as of the last event
    fired_count: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # The scheduler's only query: armed cases by due time. Stopped and finished cases
        # have no next_fire_at, so the index holds only cases that will fire.
        Index(
            "ix_cases_due",
            "next_fire_at",
            postgresql_where=next_fire_at.isnot(None),
            sqlite_where=next_fire_at.isnot(None),
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


class SimulateRequest(BaseModel):
    """A hazard's facts, and optionally a draft policy to try instead of the adopted ones."""

    model_config = ConfigDict(extra="forbid")

    facts: HazardFacts
    policy: Policy | None = None


class SimulateOut(BaseModel):
    policy_id: str
    policy_version: int
    steps: list[PlannedStep]
