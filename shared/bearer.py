"""Bearer tokens: hazard_api issues them (HS256 JWT); every service verifies them the same way."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import jwt

from shared.clock import Clock

ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def encode_token(claims: Mapping[str, Any], *, secret_key: str, clock: Clock, minutes: int) -> str:
    now = clock.now()
    full = {
        **claims,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(full, secret_key, algorithm=ALGORITHM)


def decode_token(token: str, *, secret_key: str, clock: Clock) -> dict[str, Any]:
    """Checks signature and expiry against the injected clock (not the wall clock)."""
    claims = _verified_claims(token, secret_key)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= clock.now().timestamp():
        raise InvalidToken("expired")
    if not isinstance(claims.get("sub"), str):
        raise InvalidToken("bad subject")
    return dict(claims)


def ensure_current(claims: Mapping[str, Any], *, active: bool, valid_from: datetime | None) -> None:
    """Refuses the token of a locked or deleted account (`active` false), and one issued before
    the account's cut-off (a password change or a lock). `iat` has whole seconds: the cut-off
    is rounded down, so a token issued in the very second of the change is still accepted
    rather than the new login being refused."""
    if not active:
        raise InvalidToken("account locked")
    if valid_from is None:
        return
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat < int(valid_from.timestamp()):
        raise InvalidToken("issued before the account's cut-off")


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret_key: str) -> Mapping[str, Any]:
    """Signature and format check of one exact token string (memoised: a client sends the same
    token on every request; expiry is checked by the caller each time). A failure raises and is
    not cached; the claims are returned read-only so a caller cannot alter the cached copy."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={
                "require": ["sub", "exp"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    return MappingProxyType(claims)
