"""The delivery loop (filled in next)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.config import Settings
from shared.clock import Clock


class Deliverer:
    def __init__(
        self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        self.settings, self.sessionmaker, self.clock = settings, sessionmaker, clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        return 0

    async def run_forever(self) -> None:
        await asyncio.Event().wait()

    async def aclose(self) -> None:
        return None
