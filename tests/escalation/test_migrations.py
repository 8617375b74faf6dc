"""Revision 0002 moves existing cases' timers into `case_timers`, and back on downgrade."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from services.escalation.db import MIGRATIONS_DIR
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade

SNAPSHOT = (
    "INSERT INTO policy_snapshots (id, policy_id, version, digest, title, steps, created_at) "
    "VALUES (1, 'p', 1, 'd', 't', '[]', '2026-01-01T00:00:00+00:00')"
)
CASE = (
    "INSERT INTO cases (id, hazard_id, snapshot_id, policy_id, policy_version, state, cursor, "
    "fence, next_fire_at, listed, halted, facts, fired_count, started_at, updated_at) "
    "VALUES (:id, :id, 1, 'p', 1, 'active', 3, 7, :due, false, '[]', '{}', 2, "
    "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
)
DUE = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)


async def rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(query))).all()]
    finally:
        await engine.dispose()


async def test_timers_move_out_of_cases_and_back(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, MIGRATIONS_DIR, "0001")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(SNAPSHOT))
            await conn.execute(
                text(CASE), [{"id": "armed", "due": DUE}, {"id": "done", "due": None}]
            )
    finally:
        await engine.dispose()

    await asyncio.to_thread(upgrade, database_url, MIGRATIONS_DIR)
    timers = await rows(
        database_url,
        "SELECT case_id, fence, cursor, due_at IS NULL, fired_count FROM case_timers "
        "ORDER BY case_id",
    )
    assert timers == [("armed", 7, 3, False, 2), ("done", 7, 3, True, 2)]

    config = alembic_config(database_url, MIGRATIONS_DIR)
    await asyncio.to_thread(command.downgrade, config, "0001")
    cases = await rows(
        database_url,
        "SELECT id, fence, cursor, next_fire_at IS NULL, fired_count FROM cases ORDER BY id",
    )
    assert cases == [("armed", 7, 3, False, 2), ("done", 7, 3, True, 2)]
