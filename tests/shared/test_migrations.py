"""The Alembic helper on both databases, with a service-like migrations folder."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from shared.db import make_engine, make_metadata
from shared.migrations import _PG_LOCK_KEY, upgrade_async
from shared.outbox import define_outbox_tables
from tests.conftest import DatabaseFactory

ENV_PY = """
from shared.db import make_metadata
from shared.migrations import run_env
from shared.outbox import define_outbox_tables

metadata = make_metadata()
define_outbox_tables(metadata)
run_env(metadata)
"""

REVISION = """
import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    unsent = sa.text("sent_at IS NULL")
    op.create_index(
        "ix_outbox_unsent", "outbox", ["id"], postgresql_where=unsent, sqlite_where=unsent
    )
    op.create_index(
        "ix_outbox_key_unsent",
        "outbox",
        ["key", "id"],
        postgresql_where=unsent,
        sqlite_where=unsent,
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(20), server_default="applied", nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("outbox")
"""


def make_migrations(root: Path) -> Path:
    folder = root / "migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(ENV_PY)
    (folder / "script.py.mako").write_text("${upgrades if upgrades else 'pass'}\n")
    (folder / "versions" / "0001_outbox.py").write_text(REVISION)
    return folder


def _differences(conn: Connection) -> list[Any]:
    metadata = make_metadata()
    define_outbox_tables(metadata)
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


async def test_upgrade_creates_the_schema_the_metadata_describes(
    database_url: str, tmp_path: Path
) -> None:
    folder = make_migrations(tmp_path)
    await upgrade_async(database_url, folder)
    await upgrade_async(database_url, folder)  # at head already: nothing to do
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert {"outbox", "processed_events"} <= tables
            indexes = await conn.run_sync(
                lambda c: {i["name"] for i in inspect(c).get_indexes("outbox")}
            )
            assert {"ix_outbox_unsent", "ix_outbox_key_unsent"} <= indexes
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_replicas_starting_together_migrate_one_after_the_other(
    make_database_url: DatabaseFactory, tmp_path: Path
) -> None:
    """Another process holds the migration lock: our upgrade waits, then finds its work."""
    url = await make_database_url("postgresql")
    folder = make_migrations(tmp_path)
    engine = make_engine(url)
    try:
        async with engine.connect() as other:
            await other.execute(text(f"SELECT pg_advisory_lock({_PG_LOCK_KEY})"))
            upgrading = asyncio.create_task(upgrade_async(url, folder))
            done, _ = await asyncio.wait({upgrading}, timeout=3)
            assert not done  # blocked behind the other replica
            await other.execute(text(f"SELECT pg_advisory_unlock({_PG_LOCK_KEY})"))
            await other.commit()
        await asyncio.wait_for(upgrading, 60)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
    finally:
        await engine.dispose()
