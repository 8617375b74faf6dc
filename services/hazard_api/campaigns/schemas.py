"""Request and response bodies of county 复工复产 campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=36)]
# GB/T 4754 as the directory keeps it (C2672): a section letter with 0-4 digits; a prefix (C26)
# takes every class under it.
IndustryPrefix = Annotated[str, StringConstraints(pattern=r"^[A-T][0-9]{0,4}$")]


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Short  # e.g. 2027年春节后复工复产验收
    notice_no: Short  # 通知文号
    industry_prefixes: Annotated[list[IndustryPrefix], Field(min_length=1, max_length=50)]
    # Empty: every township of the county.
    township_ids: Annotated[list[EntityId], Field(max_length=100)] = []
    resume_by: AwareDatetime | None = None  # 验收完成时限


class RemindIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_id: str
    unit_name: str
    industry_code: str | None
    industry_name: str | None = None  # GB/T 4754
    township_id: str | None
    department_ids: list[str]
    status: str
    status_label: str = ""
    acceptances: list[dict[str, Any]]
    accepted_at: datetime | None
    # The 停产整顿 order deciding its restart (campaigns/orders.py): open, or accepted while
    # the campaign ran (`accepted_by_order`: nothing left for the campaign to decide).
    suspension_id: str | None = None
    suspension_order_no: str | None = None
    accepted_by_order: bool = False
    # The actions the caller may take on this enterprise now (what a page offers; the kernel
    # and the change still guard).
    allowed_actions: dict[str, str] = {}


class CampaignOut(BaseModel):
    id: str
    name: str
    notice_no: str
    status: str
    status_label: str
    industry_prefixes: list[str]
    industry_labels: list[str]  # each prefix with its GB/T 4754 name, for people
    township_ids: list[str]
    resume_by: datetime | None
    reminders: list[str]
    opened_at: datetime
    closed_at: datetime | None
    enterprises: int  # in the caller's scope
    accepted: int
    under_order: int  # not accepted, under an open 停产整顿 order (not the campaign's to decide)


class PendingGroup(BaseModel):
    """未验收企业 of one township or one department."""

    unit_id: str
    unit_name: str
    enterprises: list[EntryOut]


class PendingOut(BaseModel):
    by_township: list[PendingGroup]
    by_department: list[PendingGroup]
