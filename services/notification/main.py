"""The notification service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notification.ack.notices import router as notices_router
from services.notification.ack.views import router as ack_router
from services.notification.config import Settings
from services.notification.db import MIGRATIONS_DIR, outbox_tables
from services.notification.delivery.views import router as deliveries_router
from services.notification.dossier.views import router as dossier_router
from services.notification.links import NOTIFICATION_LINKS
from services.notification.preferences.views import router as preferences_router
from services.notification.receipts.views import router as receipts_router
from services.notification.records.views import router as records_router
from services.notification.runtime import Runtime
from shared.apidocs import service_app
from shared.clock import Clock
from shared.guard import check_start, guard_app
from shared.http import broker_check, database_check, install_error_handlers, ops_router
from shared.loops import loops_check
from shared.migrations import upgrade_async
from shared.openapi_links import install_links
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
        title="督办 · 通知（notification）",
        description="短信与邮件通知：投递记录、回执、签收与接收偏好",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    guard_app(app, settings)
    app.include_router(
        ops_router(
            {
                "database": database_check(engine),
                "broker": broker_check(settings.kafka_bootstrap_servers),
                "loops": loops_check,
            },
            clock=clock,
        )
    )
    app.include_router(
        outbox_router(
            lambda: engine,
            outbox_tables.outbox,
            secret_key=settings.bearer_key or settings.secret_key,
            clock=clock,
        )
    )
    app.include_router(ack_router)
    app.include_router(receipts_router)
    app.include_router(preferences_router)
    app.include_router(deliveries_router)
    app.include_router(records_router)
    app.include_router(dossier_router)
    app.include_router(notices_router)
    install_links(app, NOTIFICATION_LINKS)
    install_error_handlers(app)
    return app
