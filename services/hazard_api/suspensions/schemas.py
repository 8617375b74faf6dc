"""Request and response bodies of 停产整顿 and 复工复产验收."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=36)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderIn(_In):
    unit_id: EntityId
    order_no: Short  # 文号
    reason: Text
    accident_id: EntityId | None = None


class ApplicationIn(_In):
    """The enterprise's application: self-check, rectification report, training, drill."""

    self_check: Text
    rectification_report: Text
    training_records: Text
    drill_records: Text


class ReviewIn(_In):
    passed: bool
    note: Text


class Member(_In):
    unit: Annotated[str, StringConstraints(pattern=r"^(emergency|department|township)$")]
    name: Short


class CheckItem(_In):
    item: Short
    standard: Text
    result: Annotated[str, StringConstraints(pattern=r"^(pass|fail)$")]
    evidence: Text


TEAM_SIZE = (3, 20)


def _team_size(team: list[Member]) -> list[Member]:
    """The team is counted in people (人), not in items (项) as the generic bound says."""
    low, high = TEAM_SIZE
    if len(team) < low:
        raise PydanticCustomError("team_too_small", "至少须有{min_length}人", {"min_length": low})
    if len(team) > high:
        raise PydanticCustomError("team_too_large", "最多{max_length}人", {"max_length": high})
    return team


Team = Annotated[
    list[Member],
    Field(json_schema_extra={"minItems": TEAM_SIZE[0], "maxItems": TEAM_SIZE[1]}),
    AfterValidator(_team_size),
]


class AcceptanceIn(_In):
    """The acceptance team (应急管理, the supervising department, the township) decides on a
    checklist; 同意复产 only with every item passed."""

    team: Team
    checklist: Annotated[list[CheckItem], Field(min_length=1, max_length=200)]
    passed: bool
    note: Text


class SuspensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    status_label: str = ""
    unit_id: str
    unit_name: str
    order_no: str
    reason: str
    accident_id: str | None
    ordered_at: datetime
    application: dict[str, Any] | None
    review: dict[str, Any] | None
    acceptances: list[dict[str, Any]]
    applied_at: datetime | None = None  # the latest application
    reviewed_at: datetime | None = None  # the township's latest review
    accepted_at: datetime | None
    resumed_at: datetime | None
    # The actions the caller may take now (what a page offers; the kernel still guards).
    allowed_actions: dict[str, str] = {}
