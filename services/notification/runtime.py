"""The service's moving parts wired together: consumers, scheduler loops, outbox relay.

`tick()` runs one pass of the durable work in turn (resolution, bundling, reconciliation,
sending); tests call it directly. The running service does the same work in the loops of
`services.notification.scheduler`, so sending never waits behind a busy pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from services.notification.config import Settings
from services.notification.db import outbox_tables
from services.notification.delivery.bundle import Bundler
from services.notification.delivery.outcomes import Outcomes
from services.notification.delivery.reconcile import Reconciler
from services.notification.delivery.send import Claimed, Sender
from services.notification.directory import service as directory_service
from services.notification.directory.flows import apply_org_event
from services.notification.directory.service import SnapshotCache
from services.notification.events import flush_events
from services.notification.intake.flows import Intake
from services.notification.providers.base import SmsProvider
from services.notification.providers.email import SmtpSender
from services.notification.providers.registry import build_providers
from services.notification.records import chain as records
from services.notification.records import tracking
from services.notification.scheduler import Scheduler
from shared.clock import Clock
from shared.consumer import URGENT_FETCH_MAX_WAIT_MS, ConsumerRunner, start_all
from shared.contract import ESCALATION_EVENTS, ORG_EVENTS, Envelope
from shared.db import make_sessionmaker, transaction
from shared.outbox import OutboxRelay
from shared.repair import OutboxReconciler, relay_options, start_reconcilers

log = logging.getLogger(__name__)

_WAKE_PENDING = "notification_wake_pending"


async def directory_epoch(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """The directory read model's epoch. Two workers (or replicas) starting together on a new
    database both create one; the one that loses that race reads the winner's, so they share
    one consumer group."""
    try:
        async with transaction(sessionmaker) as session:
            return await directory_service.read_model_epoch(session=session)
    except IntegrityError:
        async with transaction(sessionmaker) as session:
            return await directory_service.read_model_epoch(session=session)


@dataclass
class TickResult:
    resolved: int = 0
    dispatched: int = 0
    sent: int = 0
    reconciled: int = 0
    more: bool = False  # due now and left for another pass (a full batch, re-targeted notices)
    claimed: Claimed | None = None  # claimed by the pass, to deliver now that it committed

    @property
    def busy(self) -> bool:
        return bool(self.resolved or self.dispatched or self.sent or self.reconciled)


class Runtime:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        clock: Clock,
        *,
        providers: list[SmsProvider] | None = None,
        smtp: SmtpSender | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.sessionmaker = make_sessionmaker(engine)
        records.install(records.keyring_of(settings.secret_key), clock)
        tracking.install()
        self.cache = SnapshotCache()
        self.providers = providers if providers is not None else build_providers(settings)
        self.smtp = smtp or SmtpSender(settings)
        self.intake = Intake(settings, self.cache)
        self.bundler = Bundler(settings, self.cache, self.intake)
        self.outcomes = Outcomes(settings, self.cache)
        self.sender = Sender(
            settings, self.sessionmaker, self.providers, self.smtp, self.outcomes, clock
        )
        self.reconciler = Reconciler(
            settings,
            self.sessionmaker,
            self.providers,
            self.outcomes,
            clock,
            live=lambda: self.sender.in_flight,
        )
        self.consumers: list[ConsumerRunner] = []
        self.reconcilers: list[OutboxReconciler] = []
        self.relay: OutboxRelay | None = None
        self.scheduler = Scheduler(
            prepare=self.prepare_and_claim,
            sender=self.sender,
            reconciler=self.reconciler,
            clock=clock,
            interval_s=settings.scheduler_interval_s,
        )
        self._running = False

    # ------------------------------------------------------------------ event handlers
    async def on_org_event(self, session: AsyncSession, envelope: Envelope) -> None:
        await apply_org_event(session, envelope)

    async def on_escalation_event(self, session: AsyncSession, envelope: Envelope) -> None:
        await self.intake.handle_escalation_event(session, envelope, now=self.clock.now())
        # Wake the scheduler once the consumer's transaction committed (not before: a tick
        # that ran now would not see the new notices and would then sleep a whole interval).
        # One listener per transaction, however many events its batch holds.
        if not session.info.get(_WAKE_PENDING):
            session.info[_WAKE_PENDING] = True
            event.listen(session.sync_session, "after_commit", self._woken, once=True)

    def _woken(self, session: Session) -> None:
        session.info.pop(_WAKE_PENDING, None)
        self.scheduler.prepare_wake.set()

    # ------------------------------------------------------------------ durable work
    async def prepare(self, *, claim: bool = False) -> TickResult:
        """Resolve open requests and bundle due notices; with `claim`, when that made
        dispatches, also claim the due deliveries in the same transaction (the caller must
        `sender.deliver` the result: their attempts are committed as pending)."""
        now = self.clock.now()
        claimed = None
        try:
            async with transaction(self.sessionmaker) as session:
                resolved = await self.intake.resolve_open(session=session, now=now)
                bundled = await self.bundler.bundle_due(session=session, now=now)
                await flush_events(session, now=now)
                if claim and bundled.made:
                    # An accident's texts: no second transaction and no wake-up between the
                    # dispatch and its attempts.
                    claimed = await self.sender.claim(session=session, now=now)
        except BaseException:
            self.sender.release(claimed)
            raise
        more = resolved >= self.settings.dispatch_batch or bundled.more
        return TickResult(resolved=resolved, dispatched=bundled.made, more=more, claimed=claimed)

    async def prepare_and_claim(self) -> TickResult:
        return await self.prepare(claim=True)

    async def tick(self) -> TickResult:
        result = await self.prepare()
        result.reconciled = await self.reconciler.reconcile()
        result.sent = await self.sender.send_due()
        return result

    async def run_until_idle(self, max_ticks: int = 100) -> None:
        for _ in range(max_ticks):
            if not (await self.tick()).busy:
                return

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        s = self.settings
        async with transaction(self.sessionmaker) as session:
            await session.run_sync(records.record_existing)
        if s.run_consumers:
            epoch = await directory_epoch(self.sessionmaker)
            self.relay = OutboxRelay(
                self.engine,
                outbox_tables.outbox,
                s.kafka_bootstrap_servers,
                clock=self.clock,
                **relay_options(s.repair),
            )
            await self.relay.start()
            self.consumers = [
                ConsumerRunner(
                    name=f"{s.consumer_group}.directory.{epoch}",
                    topics=[ORG_EVENTS],
                    bootstrap_servers=s.kafka_bootstrap_servers,
                    sessionmaker=self.sessionmaker,
                    processed_events=outbox_tables.processed_events,
                    handler=self.on_org_event,
                    clock=self.clock,
                    session_timeout_ms=s.consumer_session_timeout_ms,
                ),
                ConsumerRunner(
                    name=f"{s.consumer_group}.requests",
                    topics=[ESCALATION_EVENTS],
                    bootstrap_servers=s.kafka_bootstrap_servers,
                    sessionmaker=self.sessionmaker,
                    processed_events=outbox_tables.processed_events,
                    handler=self.on_escalation_event,
                    clock=self.clock,
                    session_timeout_ms=s.consumer_session_timeout_ms,
                    fetch_max_wait_ms=URGENT_FETCH_MAX_WAIT_MS,  # immediate steps
                ),
            ]
            await start_all(self.consumers)
            self.reconcilers = await start_reconcilers(
                self.consumers,
                s.repair,
                service="notification",
                secret_key=s.bearer_key or s.secret_key,
                clock=self.clock,
            )
        if s.run_scheduler:
            self.scheduler.start()
            self._running = True

    async def stop(self) -> None:
        if self._running:
            await self.scheduler.stop()
            self._running = False
        for reconciler in self.reconcilers:
            await reconciler.stop()
        self.reconcilers = []
        for consumer in self.consumers:
            await consumer.stop()
        self.consumers = []
        if self.relay is not None:
            await self.relay.stop()
            self.relay = None
        for provider in self.providers:
            await provider.aclose()
