"""Per-person notification preferences."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notification.db import Base
from shared.contract import Channel
from shared.db import UTCDateTime


class Preference(Base):
    __tablename__ = "preferences"

    person_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSON)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "21:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    digest_window_s: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# A wall-clock time as it is written and answered ("21:00", "21:00:00"): JSON Schema's `time`
# format would demand a UTC offset, which these times (Beijing time of day) do not carry.
ClockTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
        }
    ),
]


class PreferenceIn(BaseModel):
    """A person's choices; quiet hours both null means none (urgent notices ignore them)."""

    # Both or neither, in the schema as in the validator below.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"quiet_start": {"type": "null"}, "quiet_end": {"type": "null"}}},
                {
                    "properties": {
                        "quiet_start": {"type": "string"},
                        "quiet_end": {"type": "string"},
                    },
                    "required": ["quiet_start", "quiet_end"],
                },
            ]
        }
    )

    channels: list[Channel] = Field(min_length=1, max_length=2)
    quiet_start: ClockTime | None = None
    quiet_end: ClockTime | None = None
    digest_window_s: int = Field(ge=0, le=86400)

    @model_validator(mode="after")
    def _both_or_neither(self) -> PreferenceIn:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("免打扰时段的开始和结束时间须同时填写或同时留空")
        return self


class PreferenceOut(PreferenceIn):
    person_id: str
    is_default: bool
