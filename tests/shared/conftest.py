"""The outbox database the shared plumbing's tests run on: on each database kind, or on
PostgreSQL only (LISTEN/NOTIFY, SKIP LOCKED)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import DatabaseFactory
from tests.shared.support import OutboxDb, make_outbox_db


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[OutboxDb]:
    db = await make_outbox_db(database_url)
    yield db
    await db.engine.dispose()


@pytest.fixture
async def pg_db(make_database_url: DatabaseFactory) -> AsyncIterator[OutboxDb]:
    db = await make_outbox_db(await make_database_url("postgresql"))
    yield db
    await db.engine.dispose()
