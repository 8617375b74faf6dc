"""挂牌督办 request bodies (the listing itself lives on the hazard row)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.contract import ListingLevel

NoticeNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
BodyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ListingIn(BaseModel):
    """挂牌督办通知书. Level defaults from the grade; deadline from configuration (≤ max)."""

    model_config = ConfigDict(extra="forbid")

    notice_no: NoticeNo
    level: ListingLevel | None = None
    body_name: BodyName | None = None
    issued_at: AwareDatetime | None = None
    deadline_days: int | None = Field(default=None, ge=1, le=365)
    published: bool = False


class RaiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    notice_no: NoticeNo | None = None
    body_name: BodyName | None = None


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    published: bool = True
