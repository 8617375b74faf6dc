"""The service's moving parts wired together: consumers, the delivery loop, the outbox relay.

`Deliverer.run_once()` sends what is due; the loop calls it on the injected clock and is woken
when the consumer commits new submissions; tests call it directly.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting.config import Settings
from services.reporting.db import outbox_tables
from services.reporting.delivery.engine import Deliverer
from services.reporting.incoming import Incoming
from services.reporting.intake.flows import Intake
from services.reporting.intake.units import apply_org_event
from services.reporting.ledger.service import PROVINCE, ensure_endpoint
from shared.clock import Clock
from shared.consumer import ConsumerRunner, start_all
from shared.contract import ACCIDENT_EVENTS, HAZARD_EVENTS, ORG_EVENTS
from shared.db import make_sessionmaker, transaction
from shared.loops import start_loop, stop_loop
from shared.outbox import OutboxRelay
from shared.repair import OutboxReconciler, relay_options, start_reconcilers

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, engine: AsyncEngine, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.sessionmaker = make_sessionmaker(engine)
        self.deliverer = Deliverer(settings, self.sessionmaker, clock)
        self.intake = Intake(settings, clock, on_enqueued=self.deliverer.wake)
        # reporting-in: inbound decisions, the quarterly schedule, the acknowledgement watch.
        self.incoming = Incoming(
            settings, self.sessionmaker, clock, on_enqueued=self.deliverer.wake
        )
        self.consumers: list[ConsumerRunner] = []
        self.reconcilers: list[OutboxReconciler] = []
        self.relay: OutboxRelay | None = None
        self._loop: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        async with transaction(self.sessionmaker) as session:
            await ensure_endpoint(session, PROVINCE, self.settings.province_url, self.clock.now())

    def _consumer(self, name: str, topics: list[str], handler: object) -> ConsumerRunner:
        s = self.settings
        return ConsumerRunner(
            name=name,
            topics=topics,
            bootstrap_servers=s.kafka_bootstrap_servers,
            sessionmaker=self.sessionmaker,
            processed_events=outbox_tables.processed_events,
            handler=handler,  # type: ignore[arg-type]
            clock=self.clock,
            session_timeout_ms=s.consumer_session_timeout_ms,
        )

    async def start(self) -> None:
        s = self.settings
        await self.prepare()
        if s.run_relay:
            self.relay = OutboxRelay(
                self.engine,
                outbox_tables.outbox,
                s.kafka_bootstrap_servers,
                clock=self.clock,
                **relay_options(s.repair),
            )
            await self.relay.start()
        if s.run_consumer:
            # The directory's units in their own group, from the start of `org.events`.
            self.consumers = [
                self._consumer(f"{s.consumer_group}.units", [ORG_EVENTS], apply_org_event),
                self._consumer(
                    s.consumer_group, [HAZARD_EVENTS, ACCIDENT_EVENTS], self.intake.handle
                ),
                # Every accident's 快报 for the 2-hour acknowledgement watch, whatever the rules.
                self._consumer(
                    f"{s.consumer_group}.acks", [ACCIDENT_EVENTS], self.incoming.on_accident_event
                ),
            ]
            await start_all(self.consumers)
            self.reconcilers = await start_reconcilers(
                self.consumers,
                s.repair,
                service="reporting",
                secret_key=s.bearer_key or s.secret_key,
                clock=self.clock,
            )
        if s.run_delivery:
            self._loop = start_loop(self.deliverer.run_forever(), name="reporting-delivery")
        await self.incoming.start()

    async def stop(self) -> None:
        task, self._loop = self._loop, None
        await stop_loop(task)
        for reconciler in self.reconcilers:
            await reconciler.stop()
        self.reconcilers = []
        for consumer in self.consumers:
            await consumer.stop()
        self.consumers = []
        await self.incoming.stop()
        if self.relay is not None:
            await self.relay.stop()
            self.relay = None
        await self.deliverer.aclose()
