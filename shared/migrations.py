"""Alembic, programmatically: each service keeps its own migrations folder.

A service's `migrations/env.py` is two lines: import its metadata and call `run_env(metadata)`.
`upgrade(url, migrations_dir)` runs `alembic upgrade head` for that service's database.

Safe to call concurrently: Alembic's `context` is process-global, so upgrades in one process
take turns; on PostgreSQL a transaction-scoped advisory lock makes replicas starting at once
migrate one after the other (the second finds the database at head).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from shared.db import make_engine


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


_ONE_AT_A_TIME = threading.Lock()
_PG_LOCK_KEY = 0x44554241  # "DUBA": one advisory lock for every service's migrations


def upgrade(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Blocking; call from a thread (`asyncio.to_thread`) inside a running loop."""
    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(database_url, migrations_dir), revision)


async def upgrade_async(database_url: str, migrations_dir: Path) -> None:
    await asyncio.to_thread(upgrade, database_url, migrations_dir)


def _run_sync(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # Held until the migration transaction commits.
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"))
            await conn.run_sync(_run_sync, metadata)
            await conn.commit()
    finally:
        await engine.dispose()


def run_env(metadata: MetaData) -> None:
    """Body of a service's alembic env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))


def create_outbox_tables() -> None:
    """Inside a service's first revision: the outbox and processed-event tables, exactly as
    `shared.outbox.define_outbox_tables` declares them (one definition for three services)."""
    from alembic import op

    from shared.db import make_metadata
    from shared.outbox import define_outbox_tables

    tables = define_outbox_tables(make_metadata())
    for table in (tables.outbox, tables.processed_events):
        table.create(op.get_bind())


def drop_outbox_tables() -> None:
    from alembic import op

    op.drop_table("processed_events")
    op.drop_table("outbox")
