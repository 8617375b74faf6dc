"""Audit rows for what is not a supervised item: directory entries and login accounts.

Each entity has its own chain (`post:<id>`, `user:<id>`…) in the same table as the hazards'
chains, so `/audit/verify` checks them too. The head is read here rather than kept on the
entity row: two concurrent writers of one entity both read the same head, and the unique
(chain_key, seq) refuses the second (the race's 409), so a chain never forks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.audit.service import Actor, ChainHead, new_row_values

# The actor of a change made on the server itself (`duban admin`, seeding).
OPERATOR = Actor(user_id=None, person_id=None, role="operator")


# Off only while the demo county is seeded: invented data whose history starts after it.
_recording: ContextVar[bool] = ContextVar("audit_recording", default=True)


@contextmanager
def unrecorded() -> Iterator[None]:
    token = _recording.set(False)
    try:
        yield
    finally:
        _recording.reset(token)


def chain_key(entity_type: str, entity_id: str) -> str:
    return f"{entity_type}:{entity_id}"


async def _head(session: AsyncSession, key: str) -> ChainHead | None:
    row = (
        await session.execute(
            select(AuditRow.seq, AuditRow.hash)
            .where(AuditRow.chain_key == key)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        )
    ).one_or_none()
    return ChainHead(row.seq, row.hash) if row else None


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> None:
    """Appends who changed what, from what to what, in the caller's transaction."""
    if not _recording.get():
        return
    key = chain_key(entity_type, entity_id)
    values = new_row_values(
        chain_key=key,
        head=await _head(session, key),
        at=at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    await session.execute(insert(AuditRow).values(**values))


class _Caller(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def person_id(self) -> str | None: ...
    @property
    def role(self) -> str: ...


def actor_of(user: _Caller | None) -> Actor:
    """The signed-in caller, or the operator on the server when there is none."""
    if user is None:
        return OPERATOR
    return Actor(user.id, user.person_id, str(user.role))
