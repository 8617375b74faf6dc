"""From an escalation step to notices per person: resolve roles through the directory."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.config import Settings
from services.notification.directory.service import DirectorySnapshot, SnapshotCache
from services.notification.events import emit_alert
from services.notification.intake import service
from services.notification.intake.models import (
    Notice,
    NoticeStatus,
    NotificationRequest,
    RequestKind,
    RequestStatus,
)
from services.notification.intake.withdrawal import on_case_changed
from services.notification.messages.reports import REPORT_ACTION, report_step
from services.notification.preferences import service as preferences
from services.notification.preferences.service import Window
from shared.consumer import PermanentError
from shared.contract import (
    CaseChanged,
    ChainRole,
    EnterpriseStatus,
    Envelope,
    ReportDue,
    StepFired,
    UnitKind,
    Urgency,
)
from shared.labels import roles_label
from shared.responsibility import ChainEntry, resolve_role


class Intake:
    def __init__(self, settings: Settings, cache: SnapshotCache) -> None:
        self.settings = settings
        self.cache = cache

    async def handle_escalation_event(
        self, session: AsyncSession, envelope: Envelope, *, now: datetime
    ) -> None:
        try:
            payload = envelope.typed_payload()
        except ValueError as exc:
            raise PermanentError(str(exc)) from exc
        if isinstance(payload, ReportDue):
            await self.add_report_requests(session, envelope, payload, now=now)
            return
        if isinstance(payload, CaseChanged):
            await on_case_changed(session, payload)
            return
        if not isinstance(payload, StepFired):
            return  # tasks and anomalies are not asks to notify anybody
        if not payload.target_roles:
            return
        request = NotificationRequest(
            event_id=str(envelope.event_id),
            hazard_id=payload.hazard_id,
            unit_id=payload.facts.unit_id,
            action=payload.action.value,
            urgency=payload.urgency.value,
            step=payload.model_dump(mode="json"),
            pending_roles=[r.value for r in dict.fromkeys(payload.target_roles)],
            status=RequestStatus.OPEN,
            received_at=now,
            next_resolve_at=now,
        )
        # Only recorded here; the scheduler resolves open requests in bulk right after.
        session.add(request)

    async def add_report_requests(
        self, session: AsyncSession, envelope: Envelope, payload: ReportDue, *, now: datetime
    ) -> int:
        """One request per enterprise not closed, with an id derived from the event's and the
        enterprise's: a redelivered event finds its requests there and adds nothing. Resolved
        like a step's requests (the scheduler, right after), so a vacant post falls through
        and a role nobody holds is retried, then alerted."""
        if not payload.target_roles:
            return 0
        snapshot = await self.cache.get(session=session)
        enterprises = [
            unit
            for unit in snapshot.directory.units.values()
            if unit.kind == UnitKind.ENTERPRISE and unit.status != EnterpriseStatus.CLOSED
        ]
        ids = {u.unit_id: str(uuid.uuid5(envelope.event_id, u.unit_id)) for u in enterprises}
        known = await service.existing_requests(list(ids.values()), session=session)
        roles = [r.value for r in dict.fromkeys(payload.target_roles)]
        rows = [
            {
                "event_id": ids[unit.unit_id],
                "kind": RequestKind.REPORT,
                "hazard_id": None,
                "unit_id": unit.unit_id,
                "action": REPORT_ACTION,
                "urgency": Urgency.NORMAL.value,
                "step": report_step(payload, unit_id=unit.unit_id, unit_name=unit.name),
                "pending_roles": roles,
                "status": RequestStatus.OPEN,
                "received_at": now,
                "next_resolve_at": now,
            }
            for unit in sorted(enterprises, key=lambda u: u.unit_id)
            if ids[unit.unit_id] not in known
        ]
        if rows:
            await session.execute(insert(NotificationRequest), rows)
        return len(rows)

    async def resolve_open(self, *, session: AsyncSession, now: datetime) -> int:
        """Resolve new requests, and retry those whose roles resolved to nobody (directory
        not there yet, every post up the chain vacant)."""
        requests = await service.open_requests(
            session=session, now=now, limit=self.settings.dispatch_batch
        )
        if requests:
            snapshot = await self.cache.get(session=session)
            await self.resolve(requests, snapshot, session=session, now=now)
        return len(requests)

    async def resolve(
        self,
        requests: Sequence[NotificationRequest],
        snapshot: DirectorySnapshot,
        *,
        session: AsyncSession,
        now: datetime,
    ) -> None:
        found: list[tuple[NotificationRequest, str, ChainEntry]] = []
        for request in requests:
            still_pending: list[str] = []
            for role in request.pending_roles:
                entries = resolve_role(snapshot.directory, request.unit_id, ChainRole(role), at=now)
                if not entries:
                    still_pending.append(role)
                found.extend((request, role, e) for e in entries)
            request.pending_roles = still_pending
            if not still_pending:
                request.status = RequestStatus.RESOLVED
                request.next_resolve_at = None
            elif now - request.received_at >= timedelta(seconds=self.settings.unresolved_give_up_s):
                request.status = RequestStatus.UNRESOLVABLE
                request.next_resolve_at = None
                await emit_alert(
                    session,
                    kind="unresolvable",
                    request_event_id=request.event_id,
                    hazard_ids=[request.hazard_id] if request.hazard_id else [],
                    detail=f"无人承担以下职责：{roles_label(still_pending)}",
                    now=now,
                )
            else:
                request.next_resolve_at = now + timedelta(seconds=self.settings.unresolved_retry_s)
        await self.add_notices(found, session=session, now=now)

    async def add_notices(
        self,
        found: list[tuple[NotificationRequest, str, ChainEntry]],
        *,
        session: AsyncSession,
        now: datetime,
        waited: bool = False,
    ) -> int:
        """`waited`: re-targeted at send time, the notice has had its digest window already.
        The notices are written in one multi-row insert (the ORM's unit of work inserts rows
        with database-made ids one statement each on SQLite)."""
        if not found:
            return 0
        persons = [e.person_id for _, _, e in found]
        prefs = await preferences.prefs_for(persons, session=session, settings=self.settings)
        windows = await service.open_windows(persons, session=session)
        known = await service.existing_persons([r.event_id for r, _, _ in found], session=session)
        rows: list[dict[str, Any]] = []
        for request, target_role, entry in found:
            if entry.person_id in known.setdefault(request.event_id, set()):
                continue  # one person answering for two roles gets one notice
            known[request.event_id].add(entry.person_id)
            urgency = Urgency(request.urgency)
            open_window = windows.get(entry.person_id)
            release = preferences.release_time(
                now,
                urgency=urgency,
                prefs=prefs[entry.person_id],
                window=Window(now, now) if waited else open_window,
                urgent_window_s=self.settings.urgent_window_s,
            )
            if urgency != Urgency.IMMEDIATE and not waited:
                if open_window is None:
                    windows[entry.person_id] = Window(release, release)
                else:
                    open_window.add(release)
            rows.append(
                {
                    "request_id": request.event_id,
                    "person_id": entry.person_id,
                    "target_role": target_role,
                    "chain_role": entry.role.value,
                    "covering_for": entry.covering_for.value if entry.covering_for else None,
                    "hazard_id": request.hazard_id,
                    "unit_id": request.unit_id,
                    "urgency": request.urgency,
                    "created_at": now,
                    "release_at": release,
                    "status": NoticeStatus.WAITING,
                    "dispatch_id": None,
                }
            )
        if rows:
            await session.flush()  # the requests first: notices refer to them
            await session.execute(insert(Notice), rows)
        return len(rows)
