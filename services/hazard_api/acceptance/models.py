"""Acceptance (验收) rounds: the unit's application and the reviewer's verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from services.hazard_api.fields import Blankable, Filled, Printable, text
from services.hazard_api.hazards.schemas import Days
from shared.db import UTCDateTime


class Acceptance(Base):
    __tablename__ = "acceptances"
    __table_args__ = (UniqueConstraint("hazard_id", "round"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hazard_id: Mapped[str] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    applied_by_user_id: Mapped[str] = mapped_column(String(36))
    applied_by_person_id: Mapped[str | None] = mapped_column(String(36))
    summary: Mapped[str] = mapped_column(Text)
    funds_spent: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[str | None] = mapped_column(String(36))
    decided_by_person_id: Mapped[str | None] = mapped_column(String(36))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    opinion: Mapped[str | None] = mapped_column(Text)


class VerdictIn(BaseModel):
    """验收结论; a failed one sends the hazard back to rectification, optionally with new days."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    opinion: Annotated[str, text(2000), Printable, Filled]
    redo_days: Days | None = None


class CloseIn(BaseModel):
    """销号; a listed hazard is delisted (摘牌) with the delisting notice's number."""

    model_config = ConfigDict(extra="forbid")

    delisting_notice_no: Annotated[str, text(60), Printable, Filled] | None = None
    published: bool = False
    note: Annotated[str, text(1000, min_length=0), Printable, Blankable] | None = None


class AcceptanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    hazard_id: str
    round: int
    applied_at: datetime
    applied_by_user_id: str
    summary: str
    funds_spent: int
    due_at: datetime
    decided_at: datetime | None
    decided_by_user_id: str | None
    passed: bool | None
    opinion: str | None
