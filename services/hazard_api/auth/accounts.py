"""Accounts: created, changed and deleted by the county office (or `duban admin`), each change
audited, and announced to the other services when it cuts off the account's tokens."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.records import actor_of, record
from services.hazard_api.auth.models import User, UserIn, UserOut, UserPatch, UserRole
from services.hazard_api.auth.passwords import hash_password, password_problem
from services.hazard_api.auth.service import AuthUser, forget_identity
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.models import Person, Unit
from services.hazard_api.errors import Conflict, FieldError, NotFound
from shared.clock import Clock
from shared.contract import ORG_EVENTS, AccountChanged, Envelope, Producer, UnitKind
from shared.outbox import add_event

# Which kind of unit a user of each role is bound to (None: any).
ROLE_UNIT_KINDS: dict[UserRole, frozenset[UnitKind] | None] = {
    UserRole.COUNTY_OFFICE: frozenset({UnitKind.COUNTY, UnitKind.DEPARTMENT}),
    UserRole.DEPARTMENT: frozenset({UnitKind.DEPARTMENT}),
    UserRole.TOWNSHIP: frozenset({UnitKind.TOWNSHIP}),
    UserRole.ENTERPRISE: frozenset({UnitKind.ENTERPRISE}),
    UserRole.LEADER: None,
    UserRole.INTEGRATION: None,
}


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=UserRole(user.role),
        unit_id=user.unit_id,
        person_id=user.person_id,
        scopes=user.scopes.split(),
        active=user.active,
    )


async def create_user(
    data: UserIn,
    *,
    session: AsyncSession,
    clock: Clock,
    user_id: str | None = None,
    password_hash: str | None = None,
    actor: AuthUser | None = None,
) -> User:
    """Validates the unit and person bindings; the caller commits.

    `password_hash` (of `data.password`) spares hashing again when seeding many accounts.
    """
    unit = await session.get(Unit, data.unit_id)
    if unit is None:
        raise FieldError("unit_id", "所属单位不存在")
    kinds = ROLE_UNIT_KINDS[data.role]
    if kinds is not None and unit.kind not in kinds:
        raise FieldError("unit_id", f"角色 {data.role.value} 不能绑定到该类单位")
    person = await session.get(Person, data.person_id) if data.person_id is not None else None
    if data.person_id is not None and person is None:
        raise FieldError("person_id", "人员不存在")
    if password_hash is None:
        _check_password(data.password, username=data.username, person=person)
    if data.role == UserRole.LEADER and data.person_id is None:
        raise FieldError("person_id", "领导账号须绑定到人员")
    if data.scopes and data.role != UserRole.INTEGRATION:
        raise FieldError("scopes", "只有对接系统账号可以设置授权范围")
    taken = await session.scalar(select(User.id).where(User.username == data.username))
    if taken is not None:
        raise Conflict("用户名已存在")
    user = User(
        id=user_id or str(uuid.uuid4()),
        username=data.username,
        password_hash=password_hash or await hash_password(data.password),
        role=data.role.value,
        unit_id=data.unit_id,
        person_id=data.person_id,
        scopes=" ".join(sorted(s.value for s in data.scopes)),
        active=True,
        created_at=clock.now(),
    )
    session.add(user)
    await session.flush()
    await _audit(session, actor, "account.created", user, None, clock)
    return user


def _check_password(password: str, *, username: str, person: Person | None) -> None:
    problem = password_problem(
        password, username=username, mobile=person.mobile if person else None
    )
    if problem is not None:
        raise FieldError("password", problem)


def _account_state(user: User) -> dict[str, Any]:
    """What the audit keeps of an account (never the password hash)."""
    return {
        "username": user.username,
        "role": user.role,
        "unit_id": user.unit_id,
        "person_id": user.person_id,
        "scopes": user.scopes.split(),
        "active": user.active,
    }


async def _audit(
    session: AsyncSession,
    actor: AuthUser | None,
    action: str,
    user: User,
    before: dict[str, Any] | None,
    clock: Clock,
    *,
    password_changed: bool = False,
) -> None:
    after = _account_state(user) | ({"password_changed": True} if password_changed else {})
    await record(
        session,
        actor=actor_of(actor),
        action=action,
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=after,
        at=clock.now(),
    )


async def update_user(
    user_id: str,
    patch: UserPatch,
    *,
    session: AsyncSession,
    clock: Clock,
    actor: AuthUser | None,
) -> User:
    """Locking, unlocking or a new password cuts off the account's existing tokens: here at
    once (every request reloads the user), elsewhere through `org.account_changed`."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    before = _account_state(user)
    if patch.scopes is not None:
        if patch.scopes and user.role != UserRole.INTEGRATION:
            raise FieldError("scopes", "只有对接系统账号可以设置授权范围")
        user.scopes = " ".join(sorted(s.value for s in patch.scopes))
    if patch.password is not None:
        person = await session.get(Person, user.person_id) if user.person_id else None
        _check_password(patch.password, username=user.username, person=person)
        user.password_hash = await hash_password(patch.password)
    if patch.active is not None:
        user.active = patch.active
    cut_off = patch.password is not None or (patch.active is False and before["active"])
    if cut_off:
        user.tokens_valid_from = clock.now()
        # The hot paths trust a remembered identity (hazards.intake); forget it here so that
        # this process reads the row again. Other workers re-check `active` in their own query.
        forget_identity(user.id)
    await session.flush()
    if cut_off or user.active != before["active"]:
        await _announce(session, user, clock)
    changed = patch.password is not None
    action = "account.password_changed" if changed else "account.updated"
    await _audit(session, actor, action, user, before, clock, password_changed=changed)
    return user


async def delete_user(
    user_id: str, *, session: AsyncSession, clock: Clock, actor: AuthUser | None
) -> None:
    """Removes an account (its hazards and audit rows keep its id). Its tokens are refused here
    at once (the row is gone) and elsewhere through `org.account_changed` (inactive)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    if actor is not None and actor.id == user.id:
        raise Conflict("不能删除当前登录的账号")
    before = _account_state(user)
    user.active = False
    user.tokens_valid_from = clock.now()
    forget_identity(user.id)
    await _announce(session, user, clock)
    await record(
        session,
        actor=actor_of(actor),
        action="account.deleted",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=None,
        at=clock.now(),
    )
    await session.delete(user)
    await session.flush()


async def _announce(session: AsyncSession, user: User, clock: Clock) -> None:
    """Tells the other services (which keep no accounts) to refuse the account's tokens."""
    payload = AccountChanged(
        user_id=user.id, active=user.active, tokens_valid_from=user.tokens_valid_from
    )
    envelope = Envelope.of(
        payload, aggregate_id=user.id, producer=Producer.HAZARD_API, occurred_at=clock.now()
    )
    await add_event(session, outbox_tables.outbox, envelope, ORG_EVENTS, now=clock.now())
