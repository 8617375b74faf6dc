"""Intake on PostgreSQL in one statement (see `intake.py` for why and when): the caller's
users-row check, the unit in scope with its departments, and the inserts of the hazard, its
first audit row and its outbox event, with the unit's facts copied in SQL."""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    Text,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.asyncpg import dialect as _asyncpg_dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from services.hazard_api.audit.models import SEALER_COLUMNS, AuditRow
from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.scope import in_scope, supervises
from services.hazard_api.auth.service import AuthUser, remembered_identity
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.models import Unit
from services.hazard_api.errors import NotFound
from services.hazard_api.hazards.intake import (
    UNIT_FACTS,
    UNIT_NOT_FOUND,
    check_found_at,
    first_audit_row,
    reported_envelope,
    reported_values,
)
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.hazards.schemas import HazardIn, HazardOut
from services.hazard_api.hazards.states import AUTHORITY, Action, origin_of
from shared.contract import HAZARD_EVENTS, HazardFacts, UnitKind
from shared.outbox import wake_local_relays

_HAZARD = cast(Table, Hazard.__table__)
_AUDIT = cast(Table, AuditRow.__table__)
_OUTBOX = outbox_tables.outbox
_HAZARD_COLUMNS = tuple(c.key for c in _HAZARD.columns)
# The global chain's columns are the sealer's, after commit (audit/sealer.py).
_AUDIT_COLUMNS = tuple(c.key for c in _AUDIT.columns if c.key not in ("id", *SEALER_COLUMNS))
_DIALECT = cast(Any, _asyncpg_dialect)()

# The event is serialised in Python with a marker where each unit fact goes (the markers carry a
# per-process secret, so no client text can pose as one); SQL splices the facts in.
_SECRET = secrets.token_hex(8)
_SLOTS = tuple(k for k in HazardFacts.model_fields if k in (*UNIT_FACTS[1:], "department_ids"))
_MARKER = {k: f"@{_SECRET}:{k}@" for k in _SLOTS}
_MARKED = {
    k: json.dumps([_MARKER[k]] if k == "department_ids" else _MARKER[k], separators=(",", ":"))
    for k in _SLOTS
}
_MARKER_VALUES: dict[str, Any] = {
    k: [_MARKER[k]] if k == "department_ids" else _MARKER[k] for k in _SLOTS
}


def _event_pieces(event_json: str) -> list[str]:
    """The event's JSON cut at the unit-fact markers: len(_SLOTS) + 1 pieces."""
    pieces, rest = [], event_json
    for k in _SLOTS:
        head, found, rest = rest.partition(_MARKED[k])
        if not found:
            raise RuntimeError(f"event JSON lacks the {k} marker")
        pieces.append(head)
    pieces.append(rest)
    return pieces


@dataclass(frozen=True)
class _Statement:
    sql: str
    names: tuple[str, ...]  # the positional parameters' names
    fixed: dict[str, Any]  # values bound when the statement was built (the caller's identity)

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        fixed = self.fixed
        return [values[n] if n in values else fixed[n] for n in self.names]


def _param(name: str, column: Any) -> Any:
    return bindparam(name, None, type_=column.type)


@functools.lru_cache(maxsize=1024)
def _intake_statement(role: UserRole, unit_id: str, person_id: str | None) -> _Statement:
    """Built once per identity (the SQL text is the same for every identity of a role, so the
    driver prepares it once per connection)."""
    who = AuthUser(
        id="", username="", role=role, unit_id=unit_id, person_id=person_id, scopes=frozenset()
    )
    same_person = User.person_id.is_(None) if person_id is None else User.person_id == person_id
    caller = (
        select(User.id)
        .where(
            User.id == bindparam("user_id", None),
            User.active,
            User.role == role.value,
            User.unit_id == unit_id,
            same_person,
            # A token issued before a password change or a lock (ensure_current's rule: the
            # cut-off rounded down to the token's whole-second `iat`).
            or_(
                User.tokens_valid_from.is_(None),
                User.tokens_valid_from
                < _param("issued_before", User.__table__.c.tokens_valid_from),
            ),
        )
        .cte("caller")
    )
    d = aliased(Unit)  # a department linked to the unit, or regulating its industry
    # The departments as a JSON array in code-point order (Python's sorted()).
    departments = (
        select(
            func.coalesce(
                literal_column("'['", Text)
                + func.string_agg(
                    sql_cast(func.to_json(d.id), Text),
                    aggregate_order_by(literal_column("','"), d.id.collate("C")),
                )
                + literal_column("']'", Text),
                literal_column("'[]'", Text),
            )
        )
        .where(d.kind == UnitKind.DEPARTMENT.value, supervises(d.id, Unit.id, Unit.industry_code))
        .scalar_subquery()
    )
    unit = (
        select(
            Unit.id.label("unit_id"),
            Unit.name.label("unit_name"),
            Unit.area_code,
            Unit.industry_code,
            Unit.township_id,
            departments.label("department_ids"),
        )
        .where(
            Unit.id == bindparam("unit_id", None),
            in_scope(who, Unit.id),
            exists(caller.select()),
        )
        .cte("unit")
    )

    def hazard_value(key: str) -> Any:
        if key in UNIT_FACTS:
            return unit.c[key]
        if key == "department_ids":
            return sql_cast(unit.c.department_ids, JSON)
        return _param("h_" + key, _HAZARD.c[key])

    new_hazard = (
        insert(_HAZARD)
        .from_select(_HAZARD_COLUMNS, select(*(hazard_value(k) for k in _HAZARD_COLUMNS)))
        .returning(_HAZARD.c.id)
        .cte("new_hazard")
    )
    audit_values = select(*(_param("a_" + k, _AUDIT.c[k]) for k in _AUDIT_COLUMNS))
    new_audit = (
        insert(_AUDIT)
        .from_select(_AUDIT_COLUMNS, audit_values.select_from(new_hazard))
        .cte("new_audit")
    )

    def fact_json(key: str) -> ColumnElement[Any]:
        if key == "department_ids":
            return unit.c.department_ids
        return func.coalesce(
            sql_cast(func.to_json(unit.c[key]), Text), literal_column("'null'", Text)
        )

    value: ColumnElement[Any] = bindparam("o_piece_0", None, type_=Text)
    for i, key in enumerate(_SLOTS, start=1):
        value = value + fact_json(key) + bindparam(f"o_piece_{i}", None, type_=Text)
    event_columns = ("event_id", "topic", "key", "value", "created_at")
    event_values = select(
        _param("o_event_id", _OUTBOX.c.event_id),
        _param("o_topic", _OUTBOX.c.topic),
        _param("o_key", _OUTBOX.c.key),
        value,
        _param("o_created_at", _OUTBOX.c.created_at),
    ).select_from(new_hazard.join(unit, true()))
    new_event = insert(_OUTBOX).from_select(event_columns, event_values).cte("new_event")

    one = select(literal_column("1").label("one")).subquery("one")
    query = (
        select(
            exists(caller.select()).label("caller_ok"),
            *(unit.c[k] for k in UNIT_FACTS[1:]),
            unit.c.department_ids,
        )
        .select_from(one.outerjoin(unit, true()))
        .add_cte(new_hazard, new_audit, new_event)
    )
    placeholders = {
        bp: None
        for bp in (
            "user_id",
            "unit_id",
            "issued_before",
            "o_event_id",
            "o_topic",
            "o_key",
            "o_created_at",
        )
    }
    state = query.compile(dialect=_DIALECT).construct_expanded_state(placeholders)
    return _Statement(
        sql=state.statement, names=tuple(state.positiontup or ()), fixed=dict(state.parameters)
    )


async def report_in_one_statement(
    data: HazardIn, claims: Mapping[str, Any], *, engine: AsyncEngine, now: datetime
) -> HazardOut | None:
    """The new hazard, written in one statement on a pooled connection (no session); None where
    this path does not apply (the caller takes the general one, which also answers a locked or
    changed account)."""
    if engine.dialect.name != "postgresql":
        return None
    who = remembered_identity(claims["sub"])
    if who is None or who.role == UserRole.INTEGRATION:  # integration: token scopes matter
        return None
    iat = claims.get("iat")
    if not isinstance(iat, int | float):
        return None
    origin = origin_of(source=data.source.value, listing_level=None)
    if not AUTHORITY.allows(Action.REPORT, origin=origin, role=who.role):
        return None  # the general path answers with the kernel's 403
    check_found_at(data, now)
    values = reported_values(data, unit_id=data.unit_id or who.unit_id, user=who, now=now)
    row = first_audit_row(values, user=who, now=now)
    envelope = reported_envelope(values | _MARKER_VALUES, user=who, now=now)
    params: dict[str, Any] = {"h_" + k: v for k, v in values.items()}
    for k, v in row.items():
        params["a_" + k] = json.dumps(v) if k in ("before", "after") else v
    for i, piece in enumerate(_event_pieces(envelope.model_dump_json())):
        params[f"o_piece_{i}"] = piece
    params.update(
        user_id=who.id,
        unit_id=values["unit_id"],
        issued_before=datetime.fromtimestamp(int(iat) + 1, UTC),
        o_event_id=str(envelope.event_id),
        o_topic=HAZARD_EVENTS,
        o_key=values["id"],
        o_created_at=now,
    )
    statement = _intake_statement(who.role, who.unit_id, who.person_id)
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        if driver is None or driver.is_in_transaction():
            raise RuntimeError("intake runs its statement outside any transaction")
        try:
            found = await driver.fetchrow(statement.sql, *statement.args(params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(statement.sql, None, exc) from exc
        except asyncpg.PostgresError as exc:
            raise DBAPIError(statement.sql, None, exc) from exc
        except (asyncpg.InterfaceError, OSError):
            await connection.invalidate()  # not back into the pool
            raise
    if not found["caller_ok"]:
        return None  # the account is locked or changed: the general path reloads it
    if found["unit_name"] is None:
        raise NotFound(UNIT_NOT_FOUND)
    wake_local_relays()
    values.update(
        unit_name=found["unit_name"],
        area_code=found["area_code"],
        industry_code=found["industry_code"],
        township_id=found["township_id"],
        department_ids=json.loads(found["department_ids"]),
    )
    return HazardOut.model_validate(values)
