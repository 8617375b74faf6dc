"""Extend the record of service at the end of every transaction that touched the delivery log.

Writers do not call anything: the session's events note which rows a transaction touched (ORM
objects at flush, bulk INSERT/UPDATE by their parameters), and just before the commit their
states as the database now holds them are appended to the chain. A row whose state did not
change adds nothing. The head is locked last, for the commit only (no deadlock: its holder
waits for nothing else).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from services.notification.records import chain
from services.notification.records.kinds import BY_MODEL, BY_TABLE, KINDS, Kind

log = logging.getLogger(__name__)

_TOUCHED = "records.touched"
_ALL = "*"  # a statement that names no row: compare the whole table

Touched = dict[str, dict[str, set[Any]]]  # kind → column → values


def _touched(session: Session) -> Touched:
    found: Touched | None = session.info.get(_TOUCHED)
    if found is None:
        found = session.info[_TOUCHED] = defaultdict(lambda: defaultdict(set))
    return found


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty):
        kind = BY_MODEL.get(type(obj))
        if kind is not None:
            _touched(session)[kind.name][kind.id_column].add(getattr(obj, kind.id_column))


def _params(state: ORMExecuteState) -> Iterable[Mapping[str, Any]]:
    params = state.parameters
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [params]
    return list(params)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update):
        return
    table = getattr(state.statement, "table", None)
    kind = BY_TABLE.get(getattr(table, "name", ""))
    if kind is None:
        return
    touched = _touched(state.session)[kind.name]
    for params in _params(state):
        names = [(col, params[p]) for p, col in kind.params.items() if p in params]
        if not names:
            touched[_ALL].add(True)
        for column, value in names:
            touched[column].add(value)


def _before_commit(session: Session) -> None:
    if not session.info.get(_TOUCHED):
        return
    session.flush()
    touched: Touched = session.info.pop(_TOUCHED)
    states: list[tuple[Kind, Any]] = []
    for kind in KINDS:
        by_column = touched.get(kind.name)
        if by_column:
            states.extend((kind, row) for row in _rows(session, kind, by_column))
    if states:
        chain.append(session, states)


def _rows(session: Session, kind: Kind, by_column: dict[str, set[Any]]) -> list[Any]:
    table = kind.table
    if _ALL in by_column:
        log.warning("a statement on %s named no row: comparing the whole table", table.name)
        return list(session.execute(select(table)).mappings())
    # One statement per table (a round trip each, before every commit that touched it).
    named = or_(*(table.c[column].in_(values) for column, values in by_column.items()))
    found = {
        kind.entity_id(row): row for row in session.execute(select(table).where(named)).mappings()
    }
    return list(found.values())


_installed = False


def install() -> None:
    """Listen on every session (idempotent); sessions that touch no covered table pay a dict
    lookup per commit."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    _installed = True
