"""Two notification workers starting at once on a new database (uvicorn --workers 2)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.notification.db import MIGRATIONS_DIR
from services.notification.directory.service import read_model_epoch
from services.notification.runtime import directory_epoch
from shared.db import make_engine, make_sessionmaker
from shared.migrations import upgrade_async
from tests.conftest import DatabaseFactory
from tests.e2e.harness import eventually


@pytest.mark.usefixtures("pg_available")
async def test_the_worker_that_loses_the_epoch_race_joins_the_winners_consumer_group(
    make_database_url: DatabaseFactory,
) -> None:
    url = await make_database_url("postgresql")
    await upgrade_async(url, MIGRATIONS_DIR)
    first, second = make_engine(url), make_engine(url)
    watcher = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        # The first worker has made the epoch and not committed yet; the second one's insert
        # waits on the primary key until the first commits, then collides.
        async with make_sessionmaker(first)() as session, session.begin():
            epoch = await read_model_epoch(session=session)
            racing = asyncio.create_task(directory_epoch(make_sessionmaker(second)))

            async def waiting_on_the_first() -> bool:
                waits = await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                return bool(waits)

            await eventually(waiting_on_the_first, "the second worker blocked on the first")
        assert await racing == epoch
    finally:
        await watcher.close()
        await first.dispose()
        await second.dispose()
