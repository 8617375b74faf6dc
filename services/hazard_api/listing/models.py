"""挂牌督办 request bodies (the listing itself lives on the hazard row)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.hazard_api.fields import Filled, Printable, text
from shared.contract import ListingLevel

NoticeNo = Annotated[str, text(60), Printable, Filled]
BodyName = Annotated[str, text(100), Printable, Filled]


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

    reason: Annotated[str, text(1000), Printable, Filled]
    notice_no: NoticeNo | None = None
    body_name: BodyName | None = None


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Only "published" can be recorded (the flow says so in Chinese); the schema says it too.
    published: bool = Field(default=True, json_schema_extra={"const": True})
