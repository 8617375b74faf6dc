"""Plumbing for keyed hash chains (tamper-evident logs): canonical JSON and HMAC links.

hazard_api's audit log and notification's record of service each keep their own tables and
rules; what they share is how a row becomes bytes and how a link is made, so that a row
verified by one tool is verified the same way by another.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import orjson

# Sorted keys, no spaces, UTF-8 (not \u escapes): what json.dumps(sort_keys=True,
# separators=(",", ":"), ensure_ascii=False) writes, at a fraction of the cost.
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def plain(value: Any) -> Any:
    """A column value as canonical JSON holds it: datetimes in UTC ISO form with microseconds
    (JSON columns already hold JSON values)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return plain(value)
    raise TypeError(f"not canonical JSON: {type(value).__name__}")


def canonical(body: Any) -> str:
    return orjson.dumps(body, default=_default, option=_OPTIONS).decode()


def sha256_hex(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def genesis(context: str) -> str:
    """The `prev` of a chain's first row."""
    return sha256_hex(f"duban-chain:{context}")


def derived_key(secret_key: str, context: bytes) -> tuple[str, bytes]:
    """A key for one chain derived from a service's secret key; its id carries a fingerprint,
    so after a rotation of the secret the old rows name the key they need."""
    key = hmac.new(secret_key.encode(), context, hashlib.sha256).digest()
    return f"s-{sha256_hex(key)[:8]}", key


def link(key: bytes, key_id: str, message: str) -> str:
    """The HMAC-SHA256 of one row's message (the key id is part of what is signed)."""
    return hmac.new(key, f"{key_id}\n{message}".encode(), hashlib.sha256).hexdigest()
