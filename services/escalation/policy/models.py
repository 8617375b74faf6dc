"""Escalation policies as data (YAML in `services/escalation/policies/`), and their snapshots.

A policy names which hazards it applies to (`match`) and its steps. When a case starts, the
chosen policy's steps are frozen into a `policy_snapshots` row (one row per policy id, version
and content digest); the case points at that row, so later edits of the file never reach it.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.escalation.db import Base
from shared.contract import ChainRole, EscalationAction, HazardLevel, TaskKind, Urgency
from shared.db import UTCDateTime


class OffsetUnit(StrEnum):
    WORKING_DAYS = "working_days"  # 工作日 (statutory calendar with 调休)
    CALENDAR_DAYS = "calendar_days"  # 自然日
    HOURS = "hours"
    MINUTES = "minutes"  # an accident's 2-hour upward report is chased by the half hour


class Anchor(StrEnum):
    """The moment a step's offset counts from; a case without that moment skips the step."""

    DEADLINE = "deadline"  # 整改期限: the overdue ladder
    CLASSIFIED = "classified"  # 判定: e.g. a major hazard must be listed within N days
    RECTIFICATION_REPORTED = "rectification_reported"  # 申请验收: the acceptance clock
    ACCEPTANCE_DUE = "acceptance_due"  # 验收期限 given by hazard_api
    # County practice (#11): each is set only while its clock runs (see `cases.anchors`).
    REPORTED = "reported"  # 登记, while not yet classified: the classification chase
    ORDERED = "ordered"  # 限期整改 given (a deadline set): the order is notified
    LISTED = "listed"  # 挂牌督办: the listing notice and the publication chase
    EXTENSION_REQUESTED = "extension_requested"  # 延期申请, until decided
    ACCEPTED = "accepted"  # 验收通过, until closed: the delisting chase (摘牌销号)
    # An accident's statutory clocks (#15), each set until the event that fulfils it.
    UPWARD_REPORT_DUE = "upward_report_due"  # 上报：接报后2小时
    SUPPLEMENT_ENDS = "supplement_ends"  # 补报期：30日（道路交通、火灾7日）
    INVESTIGATION_DUE = "investigation_due"  # 调查报告：60日，可延长一次不超过60日
    DECISION_DUE = "decision_due"  # 批复：15日（特别重大30日，可延长30日）
    ITEMS_MISSING = "items_missing"  # 漏报：快报缺项，直至续报补齐


# The overdue ladder and the listing clock run while a case is active; the acceptance clock
# runs while it is paused (rectification reported, awaiting acceptance; then accepted, awaiting
# delisting). The listing and extension clocks run in both phases.
ACTIVE_ANCHORS = frozenset(
    {
        Anchor.DEADLINE,
        Anchor.CLASSIFIED,
        Anchor.REPORTED,
        Anchor.ORDERED,
        Anchor.LISTED,
        Anchor.EXTENSION_REQUESTED,
        Anchor.UPWARD_REPORT_DUE,
        Anchor.SUPPLEMENT_ENDS,
        Anchor.INVESTIGATION_DUE,
        Anchor.DECISION_DUE,
        Anchor.ITEMS_MISSING,
    }
)
PAUSED_ANCHORS = frozenset(
    {
        Anchor.RECTIFICATION_REPORTED,
        Anchor.ACCEPTANCE_DUE,
        Anchor.LISTED,
        Anchor.EXTENSION_REQUESTED,
        Anchor.ACCEPTED,
    }
)


class StopCondition(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # a notice this step sent was acknowledged (已签收)
    RECTIFIED = "rectified"  # rectification reported: the step never fires again
    PUBLISHED = "published"  # the listing was published (挂牌公布): the chase ends


class ListingCondition(StrEnum):
    LISTED = "listed"  # only for a hazard under supervised listing (挂牌)
    UNLISTED = "unlisted"  # only while not listed (e.g. "propose listing")


class Match(BaseModel):
    """Which hazards a policy applies to; an empty list matches anything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: list[HazardLevel] = Field(default_factory=list, max_length=2)
    grades: list[int] = Field(default_factory=list, max_length=3)
    listed: bool | None = None
    # Also applies to a hazard reported but not yet classified (the classification chase).
    unclassified: bool = False
    # GB/T 4754 industry codes or prefixes ("C" = manufacturing, "C26" = chemicals).
    industries: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("grades")
    @classmethod
    def _grades(cls, grades: list[int]) -> list[int]:
        bad = [g for g in grades if g not in (1, 2, 3)]
        if bad:
            raise ValueError(f"grades must be 1, 2 or 3, not {bad}")
        return grades

    @field_validator("industries")
    @classmethod
    def _industries(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not re.fullmatch(r"[A-T]\d{0,4}", c)]
        if bad:
            raise ValueError(f"not GB/T 4754 industry codes: {bad}")
        return codes

    def matches(
        self, *, level: HazardLevel | None, grade: int | None, listed: bool, industry: str | None
    ) -> bool:
        if level is None:
            return self.unclassified
        if self.levels and level not in self.levels:
            return False
        if self.grades and grade not in self.grades:
            return False
        if self.listed is not None and self.listed != listed:
            return False
        return not self.industries or (
            industry is not None and any(industry.startswith(c) for c in self.industries)
        )


UNTIL_CLOSED = "until_closed"
# An open-ended repeat is planned this many times ahead (every 5 working days: five years);
# a hazard open longer than that is a matter for people, and the auditor sees the silent case.
OPEN_ENDED_REPEATS = 250


class Repeat(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    every: int = Field(ge=1, le=1000)
    unit: OffsetUnit
    # Repeats after the first firing, or `until_closed`: a ladder that never goes silent.
    times: int | Literal["until_closed"] = Field(description="repeats after the first firing")

    @field_validator("times")
    @classmethod
    def _times(cls, times: int | str) -> int | str:
        if isinstance(times, int) and not 1 <= times <= 50:
            raise ValueError("times must be 1 to 50, or until_closed")
        return times

    @property
    def open_ended(self) -> bool:
        return self.times == UNTIL_CLOSED

    @property
    def count(self) -> int:
        return OPEN_ENDED_REPEATS if isinstance(self.times, str) else self.times


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    title: str = Field(min_length=1, max_length=200)
    anchor: Anchor = Anchor.DEADLINE
    offset: int = Field(ge=-1000, le=1000, description="negative = before the anchor")
    unit: OffsetUnit
    # Local (Asia/Shanghai) time of day for day offsets; default: the anchor's time of day.
    at: time | None = None
    targets: list[ChainRole] = Field(min_length=1, max_length=10)
    action: EscalationAction
    urgency: Urgency = Urgency.NORMAL
    repeat: Repeat | None = None
    stop: StopCondition | None = None
    only_if: ListingCondition | None = None
    # Action `task`: what the county office is asked to decide (约谈, 停产整顿 …).
    task: TaskKind | None = None
    # Who is told instead when the hazard has neither a supervising department nor a
    # township (e.g. the classification chase goes to the county office then).
    fallback_targets: list[ChainRole] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _task_with_its_action(self) -> Self:
        if (self.action is EscalationAction.TASK) != (self.task is not None):
            raise ValueError("a step with action 'task' names its 'task' (and only such a step)")
        if self.task is TaskKind.NOTICE_UNDELIVERED:
            raise ValueError("task 'notice_undelivered' is raised by failed notices, not by a step")
        return self

    @model_validator(mode="after")
    def _at_only_for_days(self) -> Self:
        if self.at is not None and self.unit in (OffsetUnit.HOURS, OffsetUnit.MINUTES):
            raise ValueError("'at' (time of day) only applies to day offsets, not hours")
        if self.at is not None and self.at.tzinfo is not None:
            raise ValueError("'at' is a local Asia/Shanghai time without a zone")
        if len(set(self.targets)) != len(self.targets):
            raise ValueError("targets repeat a role")
        return self


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,79}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=0, ge=0, le=1000, description="higher wins among matches")
    match: Match = Field(default_factory=Match)
    steps: list[Step] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique_keys(self) -> Self:
        keys = [s.key for s in self.steps]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"step keys repeat: {dupes}")
        return self


class StepsSnapshot(BaseModel):
    """What is frozen onto a case: the steps exactly as they were when it started."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[Step]


class PolicySnapshot(Base):
    __tablename__ = "policy_snapshots"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    steps: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
