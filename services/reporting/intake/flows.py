"""Consumption of the domain events: which go upward, as which document (filled in next)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.config import Settings
from shared.clock import Clock
from shared.contract import Envelope


class Intake:
    def __init__(self, settings: Settings, clock: Clock, *, on_enqueued: Callable[[], None]) -> None:
        self.settings, self.clock, self.on_enqueued = settings, clock, on_enqueued

    async def handle(self, session: AsyncSession, envelope: Envelope) -> None:
        return None
