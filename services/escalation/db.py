"""The escalation service's tables: policy snapshots, cases, and its outbox."""

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
    from services.escalation import schedules as _schedules  # noqa: F401
    from services.escalation.accounts import models as _accounts  # noqa: F401
    from services.escalation.cases import models as _cases  # noqa: F401
    from services.escalation.policy import models as _policy  # noqa: F401
    from services.escalation.reports import models as _reports  # noqa: F401
    from services.escalation.tasks import models as _tasks  # noqa: F401
