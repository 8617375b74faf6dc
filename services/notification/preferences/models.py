"""Per-person notification preferences."""

from __future__ import annotations

from datetime import datetime, time

from pydantic import BaseModel, Field, model_validator
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


class PreferenceIn(BaseModel):
    """A person's choices; quiet hours both null means none (urgent notices ignore them)."""

    channels: list[Channel] = Field(min_length=1, max_length=2)
    quiet_start: time | None = None
    quiet_end: time | None = None
    digest_window_s: int = Field(ge=0, le=86400)

    @model_validator(mode="after")
    def _both_or_neither(self) -> PreferenceIn:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("免打扰时段的开始和结束时间须同时填写或同时留空")
        return self


class PreferenceOut(PreferenceIn):
    person_id: str
    is_default: bool
