"""The escalation service's tables: policy snapshots, cases, and its outbox."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import make_metadata
from shared.outbox import define_outbox_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox_tables = define_outbox_tables(Base.metadata)
