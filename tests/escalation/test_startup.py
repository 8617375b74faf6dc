"""Two escalation workers starting at once on a new database (uvicorn --workers 2)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.escalation.config import DEFAULT_POLICIES_DIR
from services.escalation.db import MIGRATIONS_DIR
from services.escalation.policy.loader import PolicySet
from services.escalation.policy.service import ensure_snapshots
from services.escalation.runtime import policy_snapshots
from shared.clock import TestClock
from shared.db import make_engine, make_sessionmaker
from shared.migrations import upgrade_async
from tests.conftest import DatabaseFactory
from tests.e2e.harness import eventually


@pytest.mark.usefixtures("pg_available")
async def test_the_worker_that_loses_the_snapshot_race_uses_the_winners_snapshots(
    make_database_url: DatabaseFactory, clock: TestClock
) -> None:
    url = await make_database_url("postgresql")
    await upgrade_async(url, MIGRATIONS_DIR)
    policies = PolicySet.load(DEFAULT_POLICIES_DIR)
    first, second = make_engine(url), make_engine(url)
    watcher = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        # The first worker has inserted the snapshots and not committed yet; the second one's
        # insert waits on the unique index until the first commits, then collides.
        async with make_sessionmaker(first)() as session, session.begin():
            ids = await ensure_snapshots(session=session, policies=policies, now=clock.now())
            racing = asyncio.create_task(
                policy_snapshots(make_sessionmaker(second), policies, clock)
            )

            async def waiting_on_the_first() -> bool:
                waits = await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                return bool(waits)

            await eventually(waiting_on_the_first, "the second worker blocked on the first")
        assert await racing == ids
    finally:
        await watcher.close()
        await first.dispose()
        await second.dispose()
