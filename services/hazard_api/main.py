"""hazard_api: the system of record (directory, access control; hazards in their own folder).

Run with `uvicorn --factory services.hazard_api.main:create_app`. Migrations are not run here:
`duban migrate` (and the tests) run them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.hazard_api.audit import keys as audit_keys
from services.hazard_api.audit.sealer import AuditSealer
from services.hazard_api.auth.views import router as auth_router
from services.hazard_api.config import Settings
from services.hazard_api.county_limits import write_county_limits
from services.hazard_api.db import import_models, outbox_tables
from services.hazard_api.directory.views import router as directory_router
from services.hazard_api.errors import install_domain_error_handlers
from services.hazard_api.lifecycle import lifecycle_routers, start_timeline
from services.hazard_api.links import HAZARD_LINKS
from services.hazard_api.schedules.watcher import ScheduleWatcher
from shared.apidocs import service_app
from shared.clock import Clock
from shared.db import make_sessionmaker
from shared.guard import check_start, guard_app
from shared.http import broker_check, database_check, install_error_handlers, ops_router
from shared.loops import loops_check
from shared.openapi_links import extend_openapi, install_links
from shared.outbox import OutboxRelay
from shared.outbox_feed import outbox_router
from shared.repair import relay_options, start_reconcilers


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    check_start(settings)
    clock = clock or settings.make_clock()
    import_models()
    engine = settings.make_engine()
    keyring = audit_keys.keyring_of(settings)
    audit_keys.install(keyring)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        relay: OutboxRelay | None = None
        if settings.outbox_relay:
            relay = OutboxRelay(
                engine,
                outbox_tables.outbox,
                settings.kafka_bootstrap_servers,
                clock=clock,
                poll_interval=settings.outbox_poll_seconds,
                **relay_options(settings.repair),
            )
            await relay.start()
        app.state.relay = relay
        # The official holiday schedules loaded earlier: deadlines count on them from now.
        watcher = ScheduleWatcher(app.state.sessionmaker, settings, clock)
        await watcher.start()
        timeline = await start_timeline(settings, app.state.sessionmaker, clock)
        reconcilers = await start_reconcilers(
            [timeline] if timeline is not None else [],
            settings.repair,
            service="hazard_api",
            secret_key=settings.secret_key,
            clock=clock,
        )
        sealer: AuditSealer | None = None
        if settings.audit_sealer:
            sealer = AuditSealer(
                app.state.sessionmaker,
                keyring,
                clock,
                seal_seconds=settings.audit_seal_seconds,
                anchor_file=settings.audit_anchor_file,
                anchor_seconds=settings.audit_anchor_seconds,
            )
            await sealer.start()
        try:
            yield
        finally:
            await watcher.stop()
            if sealer is not None:
                await sealer.stop()
            for reconciler in reconcilers:
                await reconciler.stop()
            if timeline is not None:
                await timeline.stop()
            if relay is not None:
                await relay.stop()
            await engine.dispose()

    app = service_app(
        title="督办 · 隐患排查治理与组织目录（hazard_api）",
        description="隐患排查治理督办的记录系统：组织目录、账号与权限、隐患全流程、时间线与统计",
        lifespan=lifespan,
    )
    app.state.settings = settings
    guard_app(app, settings)
    app.state.clock = clock
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.relay = None
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
            lambda: engine, outbox_tables.outbox, secret_key=settings.secret_key, clock=clock
        )
    )
    app.include_router(auth_router)
    app.include_router(directory_router)
    for router in lifecycle_routers():
        app.include_router(router)
    install_links(app, HAZARD_LINKS)
    extend_openapi(app, lambda schema: write_county_limits(schema, settings))
    install_error_handlers(app)
    install_domain_error_handlers(app)
    return app
