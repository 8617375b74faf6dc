"""Intake (登记), the hot path: a new hazard, its first audit row and its event.

The rows are built as plain column values (no ORM objects). On PostgreSQL a caller whose identity
this process has seen before reports in one statement outside any explicit transaction (a
statement is atomic on its own): it checks the caller's users row (still active, still this
identity), finds the unit in the caller's scope with its supervising departments, and inserts
the hazard, the audit row and the outbox event, copying the unit's facts in SQL. One round trip
instead of BEGIN, look-up, insert and COMMIT. The users-row check includes the token's issue
time against `tokens_valid_from`, so a password change in another worker cuts the old token
off here too. Everything else (SQLite, integration clients, an
identity not yet seen or stale) takes the general path (`kind.HAZARD_INTAKE`): both are
behind the transition kernel's `create`.

This module holds what both paths share (the rows' values); the one statement is in
`intake_statement.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from services.hazard_api.audit.models import SEALER_COLUMNS, AuditRow
from services.hazard_api.audit.service import Actor, new_row_values
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.db import outbox_tables
from services.hazard_api.errors import FieldError
from services.hazard_api.hazards.models import Hazard, chain_key, snapshot
from services.hazard_api.hazards.schemas import HazardIn
from services.hazard_api.hazards.service import facts
from shared.clock import local
from shared.contract import (
    HAZARD_EVENTS,
    Envelope,
    HazardEvent,
    HazardEventType,
    HazardStatus,
    Producer,
)
from shared.outbox import wake_local_relays

UNIT_NOT_FOUND = "单位不存在或不在您的管辖范围内"
# A hazard's copy of its unit's facts as they are at intake (events carry them).
UNIT_FACTS = ("unit_id", "unit_name", "area_code", "industry_code", "township_id")
# The columns whose values do not come from the unit.
_OWN_COLUMNS = tuple(
    c.key for c in Hazard.__table__.columns if c.key not in (*UNIT_FACTS[1:], "department_ids")
)


# A hazard found longer ago than this is far likelier a mistyped year (1900 for 2026) than an
# entry of a county's backlog.
_OLDEST = timedelta(days=5 * 366)


def check_found_at(data: HazardIn, now: datetime) -> None:
    if data.found_at > now:
        raise FieldError("found_at", "发现时间不能晚于当前时间")
    if now - data.found_at > _OLDEST:
        raise FieldError("found_at", "发现时间早于五年前，请核对年份")


def reported_values(
    data: HazardIn, *, unit_id: str, user: AuthUser, now: datetime
) -> dict[str, Any]:
    """Every column of a newly reported hazard but the unit's facts (None: the audit-chain
    head, see first_audit_row)."""
    hazard_id = str(uuid.uuid4())
    values: dict[str, Any] = dict.fromkeys(_OWN_COLUMNS)
    values.update(
        id=hazard_id,
        code=f"YH{local(now):%Y%m%d}-{hazard_id[:8].upper()}",
        unit_id=unit_id,
        location=data.location,
        latitude=data.latitude,
        longitude=data.longitude,
        description=data.description,
        source=data.source.value,
        status=HazardStatus.REPORTED.value,
        found_at=data.found_at,
        reported_at=now,
        reported_by_user_id=user.id,
        reported_by_person_id=user.person_id,
        deadline_provisional=False,
        on_the_spot=False,
        funds_spent=0,
        listing_published=False,
    )
    return values


def first_audit_row(values: dict[str, Any], *, user: AuthUser, now: datetime) -> dict[str, Any]:
    """The first row of a new hazard's audit chain; sets the chain head in `values`."""
    row = new_row_values(
        chain_key=chain_key(values["id"]),
        head=None,
        at=now,
        actor=Actor(user.id, user.person_id, user.role.value),
        action=HazardEventType.REPORTED.value,
        entity_type="hazard",
        entity_id=values["id"],
        before=None,
        after=snapshot(values),
    )
    values.update(audit_seq=row["seq"], audit_head=row["hash"], updated_at=now)
    return row


def reported_envelope(values: Mapping[str, Any], *, user: AuthUser, now: datetime) -> Envelope:
    payload = HazardEvent(
        event=HazardEventType.REPORTED, facts=facts(values, actor_person_id=user.person_id)
    )
    return Envelope.of(
        payload, aggregate_id=values["id"], producer=Producer.HAZARD_API, occurred_at=now
    )


# ---------------------------------------------------------------- the general path's write
def _prefixed_insert(table: Table, prefix: str, skip: tuple[str, ...] = ()) -> Insert:
    return insert(table).values(
        {c.key: bindparam(prefix + c.key, type_=c.type) for c in table.columns if c.key not in skip}
    )


# Built once: a constant statement keeps SQLAlchemy's per-request work to binding parameters.
_HAZARD_INSERT = _prefixed_insert(cast(Table, Hazard.__table__), "h_")
_AUDIT_INSERT = _prefixed_insert(
    cast(Table, AuditRow.__table__), "a_", skip=("id", *SEALER_COLUMNS)
)
_OUTBOX_INSERT = _prefixed_insert(outbox_tables.outbox, "o_", skip=("id", "sent_at"))
_INTAKE_PG = _OUTBOX_INSERT.add_cte(
    _HAZARD_INSERT.cte("new_hazard"), _AUDIT_INSERT.cte("new_audit")
)


async def insert_reported(
    session: AsyncSession,
    hazard: Mapping[str, Any],
    audit: Mapping[str, Any],
    envelope: Envelope,
    *,
    now: datetime,
) -> None:
    """Write a new hazard, its first audit row and its event from their column values: one
    round trip on PostgreSQL (data-modifying CTEs), three local statements on SQLite. Relays of
    this process wake when the transaction commits."""
    h = {"h_" + k: v for k, v in hazard.items()}
    row = {"a_" + k: v for k, v in audit.items()}
    event = {
        "o_event_id": str(envelope.event_id),
        "o_topic": HAZARD_EVENTS,
        "o_key": envelope.aggregate_id,
        "o_value": envelope.model_dump_json(),
        "o_created_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_INTAKE_PG, h | row | event)
    else:
        await session.execute(_HAZARD_INSERT, h)
        await session.execute(_AUDIT_INSERT, row)
        await session.execute(_OUTBOX_INSERT, event)
    if not session.info.get("hazard_intake_wake"):
        session.info["hazard_intake_wake"] = True
        sa_event.listen(session.sync_session, "after_commit", lambda _session: wake_local_relays())
