"""The page session: the hazard_api token in a signed HttpOnly cookie with its CSRF token and
the time of the last request (idle expiry). Nothing is kept server-side."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

import orjson
from starlette.responses import Response

COOKIE = "duban_session"
LOGIN_CSRF_COOKIE = "duban_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class PageSession:
    token: str
    csrf: str
    username: str
    role: str
    unit_id: str
    last_seen: float  # UTC timestamp of the last request

    def touched(self, now: datetime) -> PageSession:
        return replace(self, last_seen=now.timestamp())


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def _sign(payload: bytes, key: str) -> str:
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def encode(session: PageSession, key: str) -> str:
    # Unpadded: every character is one a cookie value may hold unquoted, so the refreshed
    # cookie of each page is written without Set-Cookie's quoting (headers.py).
    payload = base64.urlsafe_b64encode(orjson.dumps(session)).rstrip(b"=").decode()
    return f"{payload}.{_sign(payload.encode(), key)}"


def decode(value: str | None, key: str) -> PageSession | None:
    """The session if the cookie is ours and untouched; None otherwise."""
    if not value or "." not in value:
        return None
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _sign(payload.encode(), key)):
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        return PageSession(**orjson.loads(raw))
    except (ValueError, TypeError):
        return None


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None = None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
