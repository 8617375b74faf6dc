"""What an import tells the rest of the system: one org event (outbox) and one audit row per
entity it changed, collected while diffing and written at the end in bulk."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.audit.records import chain_key
from services.hazard_api.audit.service import Actor, ChainHead, new_row_values
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.copying import insert_rows
from services.hazard_api.directory.rows import PersonRow, PostRow, UnitRow
from shared.contract import (
    EVENT_TYPES_BY_MODEL,
    ORG_EVENTS,
    EnterpriseStatus,
    Envelope,
    PersonUpserted,
    PostRole,
    PostUpserted,
    Producer,
    UnitKind,
    UnitUpserted,
)
from shared.outbox import OutboxRow, add_serialized_events

_audit_table: Table = AuditRow.__table__  # type: ignore[assignment]
CHUNK = 500  # ids per IN (…) list: well inside SQLite's and asyncpg's parameter limits


def unit_payload(u: UnitRow) -> UnitUpserted:
    return UnitUpserted(
        unit_id=u.id,
        kind=UnitKind(u.kind),
        name=u.name,
        area_code=u.area_code,
        parent_id=u.parent_id,
        is_safety_office=u.is_safety_office,
        credit_code=u.credit_code,
        industry_code=u.industry_code,
        industry_name=u.industry_name,
        territorial_unit_id=u.territorial_unit_id,
        supervising_department_ids=list(u.departments),
        high_risk=u.high_risk,
        status=EnterpriseStatus(u.status) if u.status else None,
        regulated_industry_codes=list(u.industries),
    )


def person_payload(p: PersonRow) -> PersonUpserted:
    return PersonUpserted(
        person_id=p.id, name=p.name, mobile=p.mobile, email=p.email, active=p.active
    )


def post_payload(p: PostRow) -> PostUpserted:
    return PostUpserted(
        post_id=p.id,
        unit_id=p.unit_id,
        role=PostRole(p.role),
        title=p.title,
        holder_person_id=p.holder_person_id,
        acting=p.acting,
        portfolio_unit_ids=list(p.portfolio_units),
        portfolio_industry_codes=list(p.portfolio_industries),
        acting_person_id=p.acting_person_id,
        acting_from=p.acting_from,
        acting_until=p.acting_until,
        holder_from=p.holder_from,
        previous_holder_person_id=p.previous_holder_person_id,
    )


# The audit's before/after states: the same shapes the directory's own writes record.
_ID_FIELDS = {UnitUpserted: "unit_id", PersonUpserted: "person_id", PostUpserted: "post_id"}


def state_of(payload: BaseModel, **extra: Any) -> dict[str, Any]:
    state = payload.model_dump(mode="json")
    del state[_ID_FIELDS[type(payload)]]
    return state | extra


class Journal:
    """Collects the events and audit rows of one import, written at the end in bulk."""

    def __init__(self, actor: Actor, now: datetime) -> None:
        self.actor = actor
        self.now = now
        self.events: list[OutboxRow] = []
        self.audits: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any]]] = []
        # The envelope's fixed parts, serialised once as pydantic does for `Envelope`.
        sample = Envelope(
            type="x", occurred_at=now, aggregate_id="x", producer=Producer.HAZARD_API, payload={}
        )
        self._occurred_at = json.dumps(sample.model_dump(mode="json")["occurred_at"])
        self._ids: list[uuid.UUID] = []

    def _event_id(self) -> uuid.UUID:
        # One system call per thousand ids: uuid4() reads the system's random source each time.
        if not self._ids:
            block = os.urandom(16 * 1024)
            self._ids = [
                uuid.UUID(bytes=block[i : i + 16], version=4) for i in range(0, len(block), 16)
            ]
        return self._ids.pop()

    def change(
        self,
        entity: str,
        payload: BaseModel,
        before: dict[str, Any] | None,
        **extra: Any,
    ) -> None:
        """One entity created (`before` None) or updated: its full-state event and audit row."""
        entity_id = getattr(payload, _ID_FIELDS[type(payload)])
        event_type, version = EVENT_TYPES_BY_MODEL[type(payload)]
        event_id = str(self._event_id())
        # The envelope's JSON written directly (ids are plain [A-Za-z0-9_.:-], see EntityId);
        # consumers parse it as `Envelope` like any other (the tests check they do).
        value = (
            f'{{"event_id":"{event_id}","type":"{event_type}","version":{version},'
            f'"occurred_at":{self._occurred_at},"aggregate_id":{json.dumps(entity_id)},'
            f'"producer":"{Producer.HAZARD_API.value}","payload":{payload.model_dump_json()}}}'
        )
        self.events.append(OutboxRow(event_id, ORG_EVENTS, entity_id, value))
        action = f"directory.{entity}_{'updated' if before else 'created'}"
        self.audits.append((action, entity, entity_id, before, state_of(payload, **extra)))

    async def write(self, session: AsyncSession) -> None:
        await add_serialized_events(session, outbox_tables.outbox, self.events, now=self.now)
        # A new unit or person has no chain yet (neither is ever deleted); a post may have been
        # deleted and created again under its code, so its chain is looked up like a change's.
        heads = await _heads(
            session,
            [chain_key(e, i) for _, e, i, b, _ in self.audits if b is not None or e == "post"],
        )
        rows = [
            new_row_values(
                chain_key=chain_key(entity, entity_id),
                head=heads.get(chain_key(entity, entity_id)),
                at=self.now,
                actor=self.actor,
                action=action,
                entity_type=entity,
                entity_id=entity_id,
                before=before,
                after=after,
            )
            for action, entity, entity_id, before, after in self.audits
        ]
        await insert_rows(session, _audit_table, rows)


async def _heads(session: AsyncSession, keys: list[str]) -> dict[str, ChainHead]:
    heads: dict[str, ChainHead] = {}
    for chunk in chunks(keys):
        rows = await session.execute(
            select(AuditRow.chain_key, AuditRow.seq, AuditRow.hash).where(
                AuditRow.chain_key.in_(chunk)
            )
        )
        for key, seq, digest in rows:
            if key not in heads or heads[key].seq < seq:
                heads[key] = ChainHead(seq, digest)
    return heads


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
