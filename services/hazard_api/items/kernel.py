"""The transition kernel: every state change of a supervised item goes through here.

One transaction: load and lock the item (or admit a new one) → scope (outside it: 404, like a
missing item) → authority and state (the kind's `Authority`: 403 / 409) → the domain's change →
the next row of the item's hash-chained audit log → its outbox event → commit. Domains supply
only their change (a `Change`); views parse, call the kernel and serialise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.audit.service import Actor, ChainHead, new_row_values
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.db import outbox_tables
from services.hazard_api.errors import NotFound
from services.hazard_api.items.authority import Authority
from shared.contract import Envelope
from shared.outbox import add_event

# An item's row has `id`, `status`, and the head of its audit chain kept on the row (so that
# appending needs no read of the log): `audit_seq`, `audit_head`, `updated_at`. (Not a
# Protocol: mypy cannot match ORM-mapped attributes against one.)
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
InT = TypeVar("InT")
TargetT = TypeVar("TargetT")
OutT = TypeVar("OutT")


@dataclass(frozen=True)
class ItemKind(Generic[ItemT]):
    """A kind of supervised item (hazard; next: accident, enforcement case, bulletin item)."""

    entity_type: str  # audit rows' entity type and chain-key prefix
    authority: Authority
    not_found: str  # the 404 message: missing and out of scope look the same
    scoped: Callable[[AuthUser, str], Select[ItemT]]  # the item by id within scope
    origin: Callable[[ItemT], str]  # the authority table's column for this item
    snapshot: Callable[[ItemT], dict[str, Any]]  # audited state (JSON-safe)
    envelope: Callable[[ItemT, str, AuthUser, datetime, str | None], Envelope]
    topic: str

    def chain_key(self, item_id: str) -> str:
        return f"{self.entity_type}:{item_id}"


@dataclass(frozen=True)
class Context:
    """Who acts, when, in which transaction, under which settings."""

    session: AsyncSession
    user: AuthUser
    now: datetime
    settings: Settings


@dataclass(frozen=True)
class Outcome(Generic[ResultT]):
    """What a change did: its lifecycle event (None: audited only, nothing to chase, then
    `audit_action` names the audit row), what to add to the audited state, the event's note,
    and the value the view serialises."""

    result: ResultT
    event: str | None = None
    audit_action: str | None = None
    extra: Mapping[str, Any] | None = None
    note: str | None = None

    @property
    def action(self) -> str:
        name = self.event or self.audit_action
        if name is None:  # pragma: no cover - a programming error, caught by any test
            raise ValueError("an outcome names its event or its audit action")
        return name


# A domain's change: mutate the locked item (and its own rows) within ctx.session.
Change = Callable[[ItemT, Context], Awaitable[Outcome[ResultT]]]


def chain_row(
    kind: ItemKind[ItemT],
    item: ItemT,
    *,
    action: str,
    user: AuthUser,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> AuditRow:
    """The next row of the item's audit chain; moves the head kept on the item."""
    row_of: Any = item
    head = ChainHead(row_of.audit_seq, row_of.audit_head) if row_of.audit_seq else None
    row = AuditRow(
        **new_row_values(
            chain_key=kind.chain_key(row_of.id),
            head=head,
            at=now,
            actor=Actor(user.id, user.person_id, user.role.value),
            action=action,
            entity_type=kind.entity_type,
            entity_id=row_of.id,
            before=before,
            after=after,
        )
    )
    row_of.audit_seq, row_of.audit_head, row_of.updated_at = row.seq, row.hash, now
    return row


def record_creation(
    kind: ItemKind[ItemT],
    item: ItemT,
    action: str,
    ctx: Context,
    *,
    after: dict[str, Any] | None = None,
) -> None:
    """Add the first row of a new item's audit chain (a creation's `write`): its snapshot,
    unless `after` records more."""
    row = chain_row(
        kind,
        item,
        action=action,
        user=ctx.user,
        now=ctx.now,
        before=None,
        after=kind.snapshot(item) if after is None else after,
    )
    ctx.session.add(row)


async def load_locked(kind: ItemKind[ItemT], item_id: str, ctx: Context) -> ItemT:
    item = await ctx.session.scalar(kind.scoped(ctx.user, item_id).with_for_update())
    if item is None:
        raise NotFound(kind.not_found)
    return item


async def transition(
    kind: ItemKind[ItemT], item_id: str, action: str, change: Change[ItemT, ResultT], ctx: Context
) -> tuple[ItemT, ResultT]:
    """Run one transition of an existing item and commit it; any error rolls all of it back."""
    item = await load_locked(kind, item_id, ctx)
    status: str = cast(Any, item).status
    kind.authority.guard(action, status=status, origin=kind.origin(item), role=ctx.user.role)
    before = kind.snapshot(item)
    outcome = await change(item, ctx)
    after = kind.snapshot(item) | dict(outcome.extra or {})
    ctx.session.add(
        chain_row(
            kind,
            item,
            action=outcome.action,
            user=ctx.user,
            now=ctx.now,
            before=before,
            after=after,
        )
    )
    if outcome.event is not None:
        envelope = kind.envelope(item, outcome.event, ctx.user, ctx.now, outcome.note)
        await add_event(ctx.session, outbox_tables.outbox, envelope, kind.topic, now=ctx.now)
    await ctx.session.commit()
    return item, outcome.result


@dataclass(frozen=True)
class Creation(Generic[InT, TargetT, OutT]):
    """How a kind creates items. `fast` may answer first (a hot path that writes in one
    statement; None: it does not apply); `admit` finds the caller and the item's target (its
    unit) within scope, or raises 401/403/404; `write` adds the new row, its first audit row
    and its event in the session."""

    action: str
    origin: Callable[[InT], str]
    admit: Callable[[InT, Mapping[str, Any], AsyncSession], Awaitable[tuple[AuthUser, TargetT]]]
    write: Callable[[InT, TargetT, Context], Awaitable[OutT]]
    fast: Callable[[InT, Mapping[str, Any], AsyncEngine, datetime], Awaitable[OutT | None]] | None


async def create(
    kind: ItemKind[Any],
    creation: Creation[InT, TargetT, OutT],
    data: InT,
    *,
    claims: Mapping[str, Any],
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    settings: Settings,
) -> OutT:
    """Create one item and commit it (the kind's fast path first, where it applies)."""
    if creation.fast is not None:
        out = await creation.fast(data, claims, engine, now)
        if out is not None:
            return out
    async with sessionmaker() as session:
        user, target = await creation.admit(data, claims, session)
        kind.authority.guard(
            creation.action, status=None, origin=creation.origin(data), role=user.role
        )
        out = await creation.write(data, target, Context(session, user, now, settings))
        await session.commit()
    return out


@dataclass(frozen=True)
class Transitions:
    """The kernel bound to one request (a dependency):
    `item, result = await tx.apply(KIND, item_id, action, change)`."""

    ctx: Context

    @property
    def now(self) -> datetime:
        return self.ctx.now

    async def apply(
        self, kind: ItemKind[ItemT], item_id: str, action: str, change: Change[ItemT, ResultT]
    ) -> tuple[ItemT, ResultT]:
        return await transition(kind, item_id, action, change, self.ctx)
