"""`duban migrate hazard_api` and `duban seed-demo` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from services.hazard_api.auth.models import User
from services.hazard_api.directory.models import Post, Unit
from shared.db import make_engine
from tests.hazard_api.conftest import DEMO, SECRET


def duban(
    database_url: str, *args: str, env: str = "development"
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "DUBAN_ENV": env,
        "HAZARD_API_DATABASE_URL": database_url,
        "HAZARD_API_SECRET_KEY": SECRET,
    }
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _count(database_url: str) -> tuple[int, int, int]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            counts = [
                await conn.scalar(select(func.count()).select_from(table))
                for table in (Unit, Post, User)
            ]
    finally:
        await engine.dispose()
    return counts[0] or 0, counts[1] or 0, counts[2] or 0


async def test_migrate_then_seed_demo_once(database_url: str) -> None:
    migrated = duban(database_url, "migrate", "hazard_api")
    assert migrated.returncode == 0, migrated.stderr
    assert "hazard_api: database at head" in migrated.stdout + migrated.stderr

    refused = duban(database_url, "seed-demo", env="production")
    assert refused.returncode == 2
    assert await _count(database_url) == (0, 0, 0)

    first = duban(database_url, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "演示县已写入" in first.stdout
    units = 1 + len(DEMO.townships) + len(DEMO.villages) + len(DEMO.departments)
    expected = (units + len(DEMO.enterprises), len(DEMO.posts), len(DEMO.users))
    assert await _count(database_url) == expected

    again = duban(database_url, "seed-demo")
    assert again.returncode == 0, again.stderr
    assert "未写入" in again.stdout
    assert await _count(database_url) == expected
