"""What hazard_api last said about each login account (no row: nothing said, accept)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from services.escalation.db import Base
from shared.db import UTCDateTime


class AccountState(Base):
    __tablename__ = "account_states"

    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    # False: locked or deleted; every token of the account is refused.
    active: Mapped[bool] = mapped_column(Boolean)
    # Tokens issued before this moment are refused (a password change or a lock).
    tokens_valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
