"""The reporting service's tables: the submissions ledger, its endpoints, and its outbox."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import DeclarativeBase

from shared.db import make_metadata
from shared.outbox import define_outbox_tables

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox_tables = define_outbox_tables(Base.metadata)


def import_models() -> None:
    """Register every table on `Base.metadata` (migrations and tests need them all)."""
    from services.reporting.acks import models as _acks  # noqa: F401
    from services.reporting.inbound import models as _inbound  # noqa: F401
    from services.reporting.intake import units as _units  # noqa: F401
    from services.reporting.ledger import models as _ledger  # noqa: F401
