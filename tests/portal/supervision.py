"""The three services behind the supervision pages, in one process: hazard_api (the demo county),
escalation (its cases fed from hazard_api's outbox, as its consumer would) and notification
(notices to demo people), all trusting hazard_api's tokens; and the portal in front of them."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.escalation.main import create_app as create_escalation
from services.hazard_api.db import outbox_tables
from services.notification.db import MIGRATIONS_DIR as NOTIFICATION_MIGRATIONS
from services.notification.delivery.models import Delivery, Dispatch
from services.notification.main import create_app as create_notification
from services.notification.runtime import Runtime as NotificationRuntime
from shared.clock import TestClock
from shared.contract import Envelope
from shared.db import make_engine, transaction
from shared.migrations import upgrade_async
from tests.conftest import DatabaseFactory
from tests.escalation.conftest import make_settings as escalation_settings
from tests.hazard_api.conftest import SECRET as HAZARD_SECRET
from tests.notification.settings import make_settings as notification_settings
from tests.portal.conftest import Api, portal_over


@pytest.fixture
async def escalation_app(
    db_kind: str, make_database_url: DatabaseFactory, clock: TestClock
) -> AsyncIterator[FastAPI]:
    settings = escalation_settings(
        await make_database_url(db_kind),
        bearer_key=HAZARD_SECRET,
        run_consumer=False,
        run_relay=False,
        run_scheduler=False,
        run_auditor=False,
        run_report_reminders=False,
    )
    app = create_escalation(settings, clock)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def notification_app(
    db_kind: str, make_database_url: DatabaseFactory, clock: TestClock
) -> AsyncIterator[FastAPI]:
    url = await make_database_url(db_kind)
    await upgrade_async(url, NOTIFICATION_MIGRATIONS)
    settings = notification_settings(url, 1, bearer_key=HAZARD_SECRET)
    runtime = NotificationRuntime(settings, make_engine(url), clock)
    app = create_notification(settings, clock)
    app.state.runtime = runtime
    yield app
    await runtime.engine.dispose()


def full_portal(
    hazard_api: FastAPI, escalation: FastAPI, notification: FastAPI, clock: TestClock
) -> contextlib.AbstractAsyncContextManager[FastAPI]:
    return portal_over(
        clock, hazard_api=hazard_api, escalation=escalation, notification=notification
    )


@pytest.fixture
async def supervised_portal(
    app: FastAPI, escalation_app: FastAPI, notification_app: FastAPI, clock: TestClock
) -> AsyncIterator[FastAPI]:
    """The portal in front of all three (a module makes it its `portal_app`)."""
    async with full_portal(app, escalation_app, notification_app, clock) as portal:
        yield portal


@dataclass
class Supervision:
    hazard_api: FastAPI
    escalation: FastAPI
    notification: FastAPI
    clock: TestClock

    async def feed_escalation(self, kinds: tuple[str, ...] = ("hazard.",)) -> None:
        """hazard_api's events of `kinds` (hazard events unless told), in order, through
        escalation's flows (its consumer's work without the broker); then the steps due now
        fire."""
        o = outbox_tables.outbox
        async with self.hazard_api.state.engine.connect() as conn:
            values = (await conn.execute(select(o.c.value).order_by(o.c.id))).scalars().all()
        runtime = self.escalation.state.runtime
        for value in values:
            envelope = Envelope.model_validate_json(value)
            if envelope.type.startswith(kinds):
                async with transaction(runtime.sessionmaker) as session:
                    await runtime.flows.handle(session, envelope)
        await runtime.scheduler.run_due()

    async def notice(
        self, hazard: dict[str, Any], person_id: str, name: str, role: str, channel: str = "sms"
    ) -> str:
        """A notice as notification's delivery wrote it (sent; the provider is not the
        matter of these pages)."""
        now, dispatch_id, request_id = self.clock.now(), str(uuid.uuid4()), uuid.uuid4().hex
        item = {
            "request_id": request_id,
            "hazard_id": hazard["id"],
            "role": role,
            "code": hazard["code"],
            "description": hazard["description"],
        }
        async with transaction(self.notification.state.runtime.sessionmaker) as session:
            session.add(
                Dispatch(
                    id=dispatch_id,
                    person_id=person_id,
                    person_name=name,
                    kind="escalation",
                    urgency="urgent",
                    request_ids=[request_id],
                    hazard_ids=[hazard["id"]],
                    chain_role=role,
                    context={"items": [item]},
                    created_at=now,
                )
            )
            await session.flush()
            session.add(
                Delivery(
                    dispatch_id=dispatch_id,
                    person_id=person_id,
                    channel=channel,
                    address="13800000003",
                    status="delivered",
                    template="overdue_notice",
                    template_version=1,
                    content_hash="0" * 64,
                    created_at=now,
                    updated_at=now,
                )
            )
        return dispatch_id


@pytest.fixture
def supervision(
    app: FastAPI, escalation_app: FastAPI, notification_app: FastAPI, clock: TestClock
) -> Supervision:
    return Supervision(app, escalation_app, notification_app, clock)


async def overdue_hazard(
    api: Api, supervision: Supervision, hazard: dict[str, Any]
) -> dict[str, Any]:
    """A general hazard of 红星 given one day, three days ago; its case fed to escalation;
    the 副县长 in charge told (not signed) and the firm's safety manager told (signed)."""
    ent, office = api.as_("hongxing"), api.as_("office")
    hid = (await ent.post("/hazards", hazard)).json()["id"]
    classified = await office.post(
        f"/hazards/{hid}/classify", {"level": "general", "deadline_days": 1}
    )
    assert classified.status_code == 200, classified.text
    supervision.clock.advance(days=3)
    await supervision.feed_escalation()
    h: dict[str, Any] = (await office.get(f"/hazards/{hid}")).json()["hazard"]
    assert h["overdue"], h
    return h
