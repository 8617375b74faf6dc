"""The escalation service: `uvicorn --factory services.escalation.main:create_app`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.escalation.accounts.service import apply_org_event
from services.escalation.cases.board import router as board_router
from services.escalation.cases.views import router as cases_router
from services.escalation.config import Settings
from services.escalation.db import outbox_tables
from services.escalation.links import ESCALATION_LINKS
from services.escalation.policy.loader import PolicySet
from services.escalation.policy.views import router as policies_router
from services.escalation.runtime import build_runtime
from services.escalation.tasks.views import router as tasks_router
from shared.apidocs import service_app
from shared.clock import Clock
from shared.consumer import URGENT_FETCH_MAX_WAIT_MS, ConsumerRunner, start_all
from shared.contract import (
    ACCIDENT_EVENTS,
    HAZARD_EVENTS,
    NOTIFICATION_EVENTS,
    ORG_EVENTS,
    REPORTING_EVENTS,
)
from shared.guard import check_start, guard_app
from shared.http import ReadyCheck, broker_check, database_check, install_error_handlers, ops_router
from shared.loops import loops_check
from shared.openapi_links import install_links
from shared.outbox import OutboxRelay
from shared.outbox_feed import outbox_router
from shared.repair import relay_options, start_reconcilers


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    check_start(settings)
    clock = clock or settings.make_clock()
    # An invalid policy file raises here, naming file, step and field: start-up stops.
    policies = PolicySet.load(settings.policies_dir)
    key = settings.bearer_key or settings.secret_key  # the deployment's bearer key

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await build_runtime(settings, clock, policies)
        app.state.runtime = runtime
        async with contextlib.AsyncExitStack() as stack:
            if settings.run_relay:
                relay = OutboxRelay(
                    runtime.engine,
                    outbox_tables.outbox,
                    settings.kafka_bootstrap_servers,
                    clock=clock,
                    **relay_options(settings.repair),
                )
                await relay.start()
                stack.push_async_callback(relay.stop)
            if settings.run_consumer:
                consumer = ConsumerRunner(
                    name=settings.consumer_group,
                    topics=[
                        HAZARD_EVENTS,
                        NOTIFICATION_EVENTS,
                        ORG_EVENTS,
                        ACCIDENT_EVENTS,
                        REPORTING_EVENTS,
                    ],
                    bootstrap_servers=settings.kafka_bootstrap_servers,
                    sessionmaker=runtime.sessionmaker,
                    processed_events=outbox_tables.processed_events,
                    handler=runtime.flows.handle,
                    clock=clock,
                    session_timeout_ms=settings.consumer_session_timeout_ms,
                    # accident.events: an accident's immediate step is told at once
                    fetch_max_wait_ms=URGENT_FETCH_MAX_WAIT_MS,
                )
                app.state.consumer = consumer
                # Its own group, read from the start of `org.events`: every account locked or
                # cut off since the deployment began is known here too.
                accounts = ConsumerRunner(
                    name=f"{settings.consumer_group}.accounts",
                    topics=[ORG_EVENTS],
                    bootstrap_servers=settings.kafka_bootstrap_servers,
                    sessionmaker=runtime.sessionmaker,
                    processed_events=outbox_tables.processed_events,
                    handler=apply_org_event,
                    clock=clock,
                    session_timeout_ms=settings.consumer_session_timeout_ms,
                )
                await start_all([consumer, accounts])
                stack.push_async_callback(consumer.stop)
                stack.push_async_callback(accounts.stop)
                for reconciler in await start_reconcilers(
                    [consumer, accounts],
                    settings.repair,
                    service="escalation",
                    secret_key=key,
                    clock=clock,
                ):
                    stack.push_async_callback(reconciler.stop)
            if settings.run_scheduler:
                await runtime.scheduler.start()
                stack.push_async_callback(runtime.scheduler.stop)
            if settings.run_auditor:
                await runtime.auditor.start()
                stack.push_async_callback(runtime.auditor.stop)
            if settings.run_report_reminders:
                await runtime.reports.start()
                stack.push_async_callback(runtime.reports.stop)
            stack.push_async_callback(runtime.engine.dispose)
            yield

    app = service_app(
        title="督办 · 升级督办（escalation）",
        description="升级督办：督办策略、持久定时器与审计",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    guard_app(app, settings)

    async def database_ready() -> None:
        runtime = getattr(app.state, "runtime", None)
        if runtime is None:
            raise RuntimeError("starting")
        await database_check(runtime.engine)()

    checks: dict[str, ReadyCheck] = {"database": database_ready}
    if settings.run_consumer or settings.run_relay:
        checks["broker"] = broker_check(settings.kafka_bootstrap_servers)
    checks["loops"] = loops_check
    app.include_router(ops_router(checks, clock=clock))
    app.include_router(
        outbox_router(
            lambda: app.state.runtime.engine, outbox_tables.outbox, secret_key=key, clock=clock
        )
    )
    app.include_router(cases_router)
    app.include_router(board_router)
    app.include_router(policies_router)
    app.include_router(tasks_router)
    install_links(app, ESCALATION_LINKS)
    return app
