"""Signing in: the password check, JWT bearer tokens, and the caller of each request as its
token and the users row say (accounts themselves are kept in accounts.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.passwords import UNKNOWN_USER_HASH, verify_password
from shared.bearer import InvalidToken, encode_token, ensure_current
from shared.clock import Clock


@dataclass(frozen=True)
class AuthUser:
    """The caller, as the token and the users table say."""

    id: str
    username: str
    role: UserRole
    unit_id: str
    person_id: str | None
    scopes: frozenset[str]


async def authenticate(username: str, password: str, *, session: AsyncSession) -> User | None:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        await verify_password(UNKNOWN_USER_HASH, password)
        return None
    return user if await verify_password(user.password_hash, password) else None


def grant_scopes(user: User, requested: list[str]) -> list[str]:
    """Integration clients get what they asked for within what they are allowed."""
    if user.role != UserRole.INTEGRATION:
        return []
    allowed = set(user.scopes.split())
    return sorted(allowed.intersection(requested) if requested else allowed)


def issue_token(
    user: User, scopes: list[str], *, secret_key: str, clock: Clock, minutes: int
) -> str:
    # person_id lets the other services (which keep no accounts) scope what a person may see.
    claims = {
        "sub": user.id,
        "role": user.role,
        "unit_id": user.unit_id,
        "person_id": user.person_id,
        "scopes": scopes,
    }
    return encode_token(claims, secret_key=secret_key, clock=clock, minutes=minutes)


# Built once (plain columns, no tracked ORM object): every authenticated request runs it.
_AUTH_USER = select(
    User.id,
    User.username,
    User.role,
    User.unit_id,
    User.person_id,
    User.scopes,
    User.tokens_valid_from,
).where(User.id == bindparam("user_id"), User.active)


def granted_from(role: UserRole, allowed: str, claims: Mapping[str, Any]) -> frozenset[str]:
    """The token's scopes that the users row still allows (integration clients only)."""
    raw = claims.get("scopes") or []
    requested = [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []
    if not requested or role != UserRole.INTEGRATION:
        return frozenset()
    return frozenset(set(allowed.split()).intersection(requested))


# The identity (role, unit, person) last read for each user id in this process: a guess that
# lets a hot path fold its users-row check into its own query, which re-checks every field
# against the row (a stale or foreign guess finds nothing and the caller reloads the row).
_identities: dict[str, AuthUser] = {}
_IDENTITIES_MAX = 10_000


def remembered_identity(user_id: str) -> AuthUser | None:
    return _identities.get(user_id)


def forget_identity(user_id: str) -> None:
    """An account locked, deleted or given a new password: this process reads its row again."""
    _identities.pop(user_id, None)


async def load_auth_user(claims: dict[str, Any], *, session: AsyncSession) -> AuthUser | None:
    """The caller's users row, if it exists and is active (read on every request, so locking an
    account takes effect at once)."""
    user = (await session.execute(_AUTH_USER, {"user_id": claims["sub"]})).one_or_none()
    if user is None:
        return None
    try:
        ensure_current(claims, active=True, valid_from=user.tokens_valid_from)
    except InvalidToken:
        return None
    identity = AuthUser(
        id=user.id,
        username=user.username,
        role=UserRole(user.role),
        unit_id=user.unit_id,
        person_id=user.person_id,
        scopes=frozenset(),
    )
    if len(_identities) >= _IDENTITIES_MAX:
        _identities.clear()
    _identities[identity.id] = identity
    return replace(identity, scopes=granted_from(identity.role, user.scopes, claims))
