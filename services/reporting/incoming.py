"""What reporting-in adds to the runtime: the hazard_api link, the inbound endpoint's flows,
the quarterly schedule and the accident acknowledgement watch, with one background loop that
gives the two timed jobs a pass every `jobs_poll_s` on the injected clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.acks.flows import AckWatch, on_accident_event
from services.reporting.config import Settings
from services.reporting.hazard_link import HazardApiRefused, HazardApiUnavailable, HazardLink
from services.reporting.inbound.flows import Inbound
from services.reporting.quarterly.schedule import Quarterly
from shared.clock import Clock
from shared.contract import Envelope
from shared.loops import start_loop, stop_loop

log = logging.getLogger(__name__)


class Incoming:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        on_enqueued: Callable[[], None] = lambda: None,
        hazard_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings, self.clock = settings, clock
        self.link = HazardLink(settings, clock, transport=hazard_transport)
        self.inbound = Inbound(settings, sessionmaker, clock, self.link)
        self.quarterly = Quarterly(settings, sessionmaker, clock, self.link, on_enqueued)
        self.acks = AckWatch(sessionmaker, clock)
        self._loop: asyncio.Task[None] | None = None

    async def on_accident_event(self, session: AsyncSession, envelope: Envelope) -> None:
        await on_accident_event(session, envelope)

    async def run_jobs_once(self) -> None:
        await self.acks.tick()
        try:
            await self.quarterly.tick()
        except (HazardApiUnavailable, HazardApiRefused) as exc:  # tried again next pass
            log.warning("quarterly statistics not submitted yet: %s", exc)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_jobs_once()
            except Exception:  # a pass that fails must not end the loop
                log.exception("reporting jobs pass failed")
            await self.clock.sleep(self.settings.jobs_poll_s)

    async def start(self) -> None:
        if self.settings.run_jobs and self._loop is None:
            self._loop = start_loop(self._run(), name="reporting-jobs")

    async def stop(self) -> None:
        task, self._loop = self._loop, None
        await stop_loop(task)
        await self.link.aclose()
