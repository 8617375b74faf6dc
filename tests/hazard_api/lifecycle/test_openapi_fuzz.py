"""A short, deterministic schemathesis run over hazard_api's whole OpenAPI: no 5xx."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.python import asgi
from sqlalchemy import select

from services.hazard_api.auth.models import User
from services.hazard_api.auth.service import issue_token
from services.hazard_api.db import MIGRATIONS_DIR
from services.hazard_api.directory.seed import seed_demo
from services.hazard_api.main import create_app
from shared.clock import TestClock
from shared.db import make_engine, make_sessionmaker, transaction
from shared.migrations import upgrade
from tests.hazard_api.conftest import make_settings

MAX_EXAMPLES = 4


async def _seed(url: str, clock: TestClock) -> dict[str, dict[str, str]]:
    engine = make_engine(url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            assert await seed_demo(session=session, clock=clock)
        async with make_sessionmaker(engine)() as session:
            users = {u.username: u for u in await session.scalars(select(User))}
    finally:
        await engine.dispose()
    secret = make_settings(url).secret_key
    return {
        name: {
            "Authorization": "Bearer "
            + issue_token(users[name], [], secret_key=secret, clock=clock, minutes=600)
        }
        for name in ("office", "hongxing")
    }


def test_openapi_fuzz_finds_no_server_errors(
    database_url: str, broker: str, tmp_path: Path
) -> None:
    upgrade(database_url, MIGRATIONS_DIR)
    clock = TestClock(datetime(2026, 3, 6, 1, 0, tzinfo=UTC))
    headers = asyncio.run(_seed(database_url, clock))
    app = create_app(
        make_settings(
            database_url,
            timeline_consumer=False,
            evidence_dir=str(tmp_path),
            kafka_bootstrap_servers=broker,
        ),
        clock=clock,
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", cast(Any, app))
    failures: list[str] = []
    calls = 0
    with asgi.get_client(cast(Any, app)) as client:
        for result in schema.get_all_operations():
            operation = cast(Any, result).ok()  # raises for an invalid operation

            @given(case=operation.as_strategy())
            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                nonlocal calls
                for who in headers.values():
                    calls += 1
                    response = case.call(session=client, headers=who)
                    if response.status_code >= 500:
                        failures.append(
                            f"{case.method} {case.formatted_path} → {response.status_code}: "
                            f"{response.text[:200]}"
                        )

            run()
    assert calls > 100
    assert failures == []
