"""Each service's Alembic revisions build exactly the schema its models describe."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from shared.db import make_engine
from shared.migrations import upgrade_async

SERVICES = ("hazard_api", "escalation", "notification")


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models(service: str, database_url: str) -> None:
    db: Any = importlib.import_module(f"services.{service}.db")
    await upgrade_async(database_url, db.MIGRATIONS_DIR)
    db.import_models()

    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, db.Base.metadata))

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()
