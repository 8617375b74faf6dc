"""Consumption of the domain events: the rules deciding what goes upward, as which document.

Runs in the shared idempotent consumer's transaction: the submission is in the ledger exactly
when the event is marked processed. Unknown event types are ignored (not dead-lettered): the
producers add types (documents, accidents) before this service learns them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.reporting.config import Settings
from services.reporting.exchange.builders import build, document_for, item_of
from services.reporting.exchange.documents import render
from services.reporting.intake.units import unit_snapshot
from services.reporting.ledger.models import SubmissionItem
from services.reporting.ledger.service import PROVINCE, NewSubmission, enqueue_many
from shared.clock import Clock
from shared.contract import Envelope

_WAKE = "reporting_wake_pending"


class Intake:
    def __init__(
        self, settings: Settings, clock: Clock, *, on_enqueued: Callable[[], None]
    ) -> None:
        self.settings, self.clock, self.on_enqueued = settings, clock, on_enqueued

    def wanted(self, envelope: Envelope) -> bool:
        s = self.settings
        payload = envelope.payload
        sub = payload.get("event") if isinstance(payload, dict) else None
        if envelope.type == "hazard.event":
            return sub in s.hazard_events
        if envelope.type == "accident.event":
            return sub in s.accident_events
        return envelope.type in s.document_events

    async def _already_reported(self, session: AsyncSession, item_key: str) -> bool:
        found = await session.scalar(
            select(SubmissionItem.item_key).where(
                SubmissionItem.endpoint_id == PROVINCE, SubmissionItem.item_key == item_key
            )
        )
        return found is not None

    async def handle(self, session: AsyncSession, envelope: Envelope) -> None:
        if not self.wanted(envelope):
            return
        payload: dict[str, Any] = envelope.payload
        if document_for(envelope.type, payload.get("event")) is None:
            return
        raw = envelope.model_dump(mode="json")
        kind, item_id, _ = item_of(raw)
        item_key = f"{kind}:{item_id}"
        facts = payload.get("facts") or {}
        # A general hazard goes upward only once it was reported as major (a downgrade, its
        # closing) or when the county reports every hazard.
        if (
            kind == "hazard"
            and facts.get("level") != "major"
            and not self.settings.report_general_hazards
            and not await self._already_reported(session, item_key)
        ):
            return
        # A document about a hazard goes with its hazard: the 整改通知书 of a hazard that stays
        # in the county stays too. Its hazard's events share its key (hazard.events), so a
        # classification as major is in the ledger before any later document of that hazard.
        hazard_id = payload.get("hazard_id") if kind == "document" else None
        if (
            hazard_id
            and not self.settings.report_general_hazards
            and not await self._already_reported(session, f"hazard:{hazard_id}")
        ):
            return
        unit_id = facts.get("unit_id")
        source = {
            "envelope": raw,
            "unit": await unit_snapshot(session, unit_id) if unit_id else None,
            "sender": {
                "area_code": self.settings.county_area_code,
                "name": self.settings.county_name,
            },
        }
        name, version, document = build(source)
        added = await enqueue_many(
            session,
            [
                NewSubmission(
                    document=name,
                    version=version,
                    item_key=item_key,
                    source_key=str(envelope.event_id),
                    source=source,
                    body=render(document),
                )
            ],
            now=self.clock.now(),
        )
        if added and not session.info.get(_WAKE):
            session.info[_WAKE] = True
            event.listen(session.sync_session, "after_commit", self._woken, once=True)

    def _woken(self, session: Session) -> None:
        session.info.pop(_WAKE, None)
        self.on_enqueued()
