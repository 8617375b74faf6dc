"""The audit keys: HMAC keys kept outside the database, one id per key (rotation).

Every audit row records the id of the key its hash was made with, so a rotated-out key keeps
verifying the rows it made (`HAZARD_API_AUDIT_KEYS` keeps old keys beside the current one).
Rows written before the chain was keyed carry the id `legacy` and a plain SHA-256; the keyed
global chain (see sealer.py) covers them from the first sealing on, so rewriting one later
still needs a key.

Without configured keys the key is derived from the service's secret key (which production
already requires to be real): its id carries a fingerprint, so after a rotation of the secret
key the old rows name the key they need instead of failing as tampered.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from services.hazard_api.config import Settings

LEGACY = "legacy"


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    def mac(self, key_id: str, message: str) -> str | None:
        """HMAC-SHA256 of the message with the key `key_id`; None: that key is not configured."""
        key = self.keys.get(key_id)
        if key is None:
            return None
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()

    def sign(self, message: str) -> str:
        return hmac.new(self.current, message.encode(), hashlib.sha256).hexdigest()


def derived_key(secret_key: str) -> tuple[str, bytes]:
    key = hmac.new(secret_key.encode(), b"duban-audit-key-v1", hashlib.sha256).digest()
    return f"s-{hashlib.sha256(key).hexdigest()[:8]}", key


def keyring_of(settings: Settings) -> Keyring:
    if settings.audit_keys:
        keys = {k: v.encode() for k, v in settings.audit_keys.items()}
        current = settings.audit_key_id or next(iter(settings.audit_keys))
        return Keyring(current, keys)
    key_id, key = derived_key(settings.secret_key)
    return Keyring(key_id, {key_id: key})


_installed: Keyring | None = None


def install(keyring: Keyring) -> None:
    """The keyring this process appends with (set by create_app; one per process)."""
    global _installed
    _installed = keyring


def current_keyring() -> Keyring:
    global _installed
    if _installed is None:  # a tool writing outside the app: the environment's settings
        _installed = keyring_of(Settings())
    return _installed
