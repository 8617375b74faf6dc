"""Fixtures of the notification tests: emulated SMS providers, a real SMTP server, a
migrated database per test (SQLite and PostgreSQL) and the service under test. The helpers
they build on: `mail.py` (SMTP), `settings.py` (settings, provider configuration),
`county.py` (a directory, escalation steps), `harness.py` (the service under test)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from services.notification.db import MIGRATIONS_DIR
from services.notification.runtime import Runtime
from shared.broker import free_port
from shared.clock import TestClock
from shared.db import make_engine
from shared.migrations import upgrade_async
from tests.notification import emulators
from tests.notification.harness import Harness
from tests.notification.mail import Mailbox, SmtpServer
from tests.notification.settings import make_settings


# ---------------------------------------------------------------- SMTP (aiosmtpd)
@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- SMS emulators
@pytest.fixture
async def aliyun() -> AsyncIterator[emulators.Running]:
    async with emulators.serve("aliyun") as running:
        yield running


@pytest.fixture
async def tencent() -> AsyncIterator[emulators.Running]:
    async with emulators.serve("tencent") as running:
        yield running


# ---------------------------------------------------------------- the service under test
HarnessFactory = Callable[..., Any]


@pytest.fixture
async def make_harness(
    database_url: str, clock: TestClock, smtp: SmtpServer
) -> AsyncIterator[Callable[..., Any]]:
    made: list[Runtime] = []
    migrated = False

    async def make(**overrides: Any) -> Harness:
        nonlocal migrated
        if not migrated:
            await upgrade_async(database_url, MIGRATIONS_DIR)
            migrated = True
        settings = make_settings(database_url, overrides.pop("smtp_port", smtp.port), **overrides)
        runtime = Runtime(settings, make_engine(database_url), clock)
        made.append(runtime)
        return Harness(runtime, clock)

    yield make
    for runtime in made:
        await runtime.stop()
        await runtime.engine.dispose()
