"""Database metadata of the notification service."""

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
    from services.notification.ack import models as _ack  # noqa: F401
    from services.notification.delivery import models as _delivery  # noqa: F401
    from services.notification.directory import models as _directory  # noqa: F401
    from services.notification.intake import models as _intake  # noqa: F401
    from services.notification.preferences import models as _preferences  # noqa: F401
    from services.notification.receipts import models as _receipts  # noqa: F401
    from services.notification.records import models as _records  # noqa: F401
