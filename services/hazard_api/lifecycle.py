"""The hazard lifecycle's wiring into the app: its tables, routers and timeline consumer."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.hazard_api.config import Settings
from shared.clock import Clock
from shared.consumer import ConsumerRunner
from shared.contract import Envelope, TaskCreated


def import_lifecycle_models() -> None:
    from services.hazard_api.acceptance import models as _acceptance  # noqa: F401
    from services.hazard_api.accidents import models as _accidents  # noqa: F401
    from services.hazard_api.audit import models as _audit  # noqa: F401
    from services.hazard_api.campaigns import models as _campaigns  # noqa: F401
    from services.hazard_api.documents import models as _documents  # noqa: F401
    from services.hazard_api.evidence import models as _evidence  # noqa: F401
    from services.hazard_api.extensions import models as _extensions  # noqa: F401
    from services.hazard_api.hazards import models as _hazards  # noqa: F401
    from services.hazard_api.schedules import models as _schedules  # noqa: F401
    from services.hazard_api.suspensions import models as _suspensions  # noqa: F401
    from services.hazard_api.timeline import models as _timeline  # noqa: F401


def lifecycle_routers() -> list[APIRouter]:
    from services.hazard_api.acceptance.views import router as acceptance
    from services.hazard_api.accidents.views import router as accidents
    from services.hazard_api.audit.views import router as audit
    from services.hazard_api.campaigns.views import router as campaigns
    from services.hazard_api.criteria.views import router as criteria
    from services.hazard_api.documents.views import router as documents
    from services.hazard_api.evidence.views import router as evidence
    from services.hazard_api.extensions.views import router as extensions
    from services.hazard_api.hazards.export import router as export
    from services.hazard_api.hazards.views import router as hazards
    from services.hazard_api.listing.views import router as listing
    from services.hazard_api.schedules.views import router as schedules
    from services.hazard_api.statistics.views import router as statistics
    from services.hazard_api.suspensions.views import router as suspensions
    from services.hazard_api.timeline.views import router as timeline

    return [
        criteria,
        export,  # before hazards: /hazards/export is not a hazard id
        hazards,
        listing,
        extensions,
        acceptance,
        evidence,
        timeline,
        audit,
        statistics,
        schedules,
        accidents,
        suspensions,
        campaigns,
        documents,
    ]


async def start_timeline(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> ConsumerRunner | None:
    if not settings.timeline_consumer:
        return None
    from services.hazard_api.documents.tasks import on_task_created
    from services.hazard_api.timeline.flows import timeline_consumer

    async def draft_letters(session: AsyncSession, envelope: Envelope) -> None:
        if envelope.type == "escalation.task_created":
            task = envelope.typed_payload()
            assert isinstance(task, TaskCreated)
            await on_task_created(session, task, settings)

    runner = timeline_consumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        sessionmaker=sessionmaker,
        session_timeout_ms=settings.timeline_session_timeout_ms,
        clock=clock,
        then=draft_letters,
    )
    await runner.start()
    return runner
