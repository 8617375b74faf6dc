"""Engine helpers: a pooled PostgreSQL connection the server closed is replaced at checkout."""

from __future__ import annotations

import asyncpg
from sqlalchemy import func, select

from shared.db import make_engine
from tests.conftest import PG_ADMIN_DSN, DatabaseFactory
from tests.shared.support import eventually


async def test_a_pooled_connection_the_server_closed_is_not_handed_out(
    make_database_url: DatabaseFactory,
) -> None:
    url = await make_database_url("postgresql")
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            lost = await conn.scalar(select(func.pg_backend_pid()))
            driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", lost)
        finally:
            await admin.close()
        await eventually(driver.is_closed)  # noticed while idle in the pool, no round trip
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.pg_backend_pid())) != lost
    finally:
        await engine.dispose()
