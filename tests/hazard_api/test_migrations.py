"""hazard_api's Alembic revisions build exactly the schema its models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from services.hazard_api.db import Base, import_models
from shared.db import make_engine


def _differences(conn: Connection) -> list[Any]:
    import_models()
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(hazard_db: str) -> None:
    engine = make_engine(hazard_db)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()
