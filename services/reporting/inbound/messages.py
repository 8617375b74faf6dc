"""The inbound documents: a listing decision and a request for information, as JSON bodies
signed like the outbound ones (Standard Webhooks)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

Id = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_\-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Level = Literal["city", "province"]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListingDecision(_Message):
    """市/省挂牌督办决定: list the county's hazard at the deciding level (or raise it there)."""

    type: Literal["listing-decision"]
    decided_by: Level = Field(description="city 市级 / province 省级")
    hazard_id: Id
    notice_no: Annotated[str, Field(min_length=1, max_length=60)]
    deadline_on: date = Field(description="整改期限（北京时间日期）")
    issued_at: AwareDatetime | None = None
    body_name: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class InformationRequest(_Message):
    """上级要求报送情况: recorded, and a task for the county office."""

    type: Literal["information-request"]
    requested_by: Level
    request_no: Annotated[str, Field(min_length=1, max_length=60)]
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    detail: Text
    hazard_id: Id | None = None
    accident_id: Id | None = None
    reply_by: date | None = None


InboundBody = Annotated[ListingDecision | InformationRequest, Field(discriminator="type")]
INBOUND = TypeAdapter(InboundBody)

LEVEL_NAMES = {"city": "市", "province": "省"}
