"""hazard_api's database: one declarative base, its metadata and the outbox tables."""

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
    """Register every table on `Base.metadata` (Alembic and tests need them all)."""
    from services.hazard_api.auth import models as _auth  # noqa: F401
    from services.hazard_api.directory import models as _directory  # noqa: F401
    from services.hazard_api.lifecycle import import_lifecycle_models

    import_lifecycle_models()
