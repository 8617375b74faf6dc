"""The reporting service: `uvicorn --factory services.reporting.main:create_app`.

Upward reporting to the provincial system (#16): consumes the domain events, keeps the
submissions ledger, delivers signed documents (Standard Webhooks), serves their JSON Schemas.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.reporting.acks.views import router as acks_router
from services.reporting.config import Settings
from services.reporting.db import MIGRATIONS_DIR, outbox_tables
from services.reporting.exchange.views import router as schemas_router
from services.reporting.feed.views import router as feed_router
from services.reporting.inbound.views import router as inbound_router
from services.reporting.operations.views import router as submissions_router
from services.reporting.quarterly.views import router as quarterly_router
from services.reporting.runtime import Runtime
from shared.apidocs import service_app
from shared.clock import Clock
from shared.guard import check_start, guard_app
from shared.http import ReadyCheck, broker_check, database_check, install_error_handlers, ops_router
from shared.loops import loops_check
from shared.migrations import upgrade_async
from shared.outbox_feed import outbox_router


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    check_start(settings)
    clock = clock or settings.make_clock()
    engine = settings.make_engine()
    runtime = Runtime(settings, engine, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await upgrade_async(settings.database_url, MIGRATIONS_DIR)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            await engine.dispose()

    app = service_app(
        title="督办 · 上报（reporting）",
        description="向省级系统上报：重大隐患、挂牌督办、事故快报续报、季度统计；签名投递与上报台账",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    guard_app(app, settings)
    checks: dict[str, ReadyCheck] = {"database": database_check(engine)}
    if settings.run_consumer or settings.run_relay:
        checks["broker"] = broker_check(settings.kafka_bootstrap_servers)
    checks["loops"] = loops_check
    app.include_router(ops_router(checks, clock=clock))
    app.include_router(
        outbox_router(
            lambda: engine,
            outbox_tables.outbox,
            secret_key=settings.bearer_key or settings.secret_key,
            clock=clock,
        )
    )
    app.include_router(schemas_router)
    app.include_router(submissions_router)
    # reporting-in: its routers (inbound, feed, quarterly, acknowledgements) below this line.
    app.include_router(inbound_router)
    app.include_router(feed_router)
    app.include_router(quarterly_router)
    app.include_router(acks_router)
    install_error_handlers(app)
    return app
