"""Short signed, expiring acknowledgement tokens (HMAC-SHA256 with the service's secret key).

token = base64url(dispatch uuid 16 B | channel 1 B | expiry 4 B | mac 12 B), 44 characters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.contract import Channel

_CHANNELS = (Channel.SMS, Channel.EMAIL)
_BODY = struct.Struct(">16sBI")
_MAC_LEN = 12
_CONTEXT = b"duban.notification.ack.v1"


class TokenInvalid(Exception):
    """Tampered, truncated or signed with another key."""


class TokenExpired(Exception):
    def __init__(self, expires_at: datetime) -> None:
        super().__init__(expires_at.isoformat())
        self.expires_at = expires_at


@dataclass(frozen=True)
class AckClaim:
    dispatch_id: str
    channel: Channel
    expires_at: datetime


def _mac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), _CONTEXT + body, hashlib.sha256).digest()[:_MAC_LEN]


def make_token(secret: str, dispatch_id: str, channel: Channel, expires_at: datetime) -> str:
    body = _BODY.pack(
        uuid.UUID(dispatch_id).bytes, _CHANNELS.index(channel), int(expires_at.timestamp())
    )
    return base64.urlsafe_b64encode(body + _mac(secret, body)).decode().rstrip("=")


def read_token(secret: str, token: str, *, now: datetime) -> AckClaim:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenInvalid("not base64") from exc
    if len(raw) != _BODY.size + _MAC_LEN:
        raise TokenInvalid("wrong length")
    body, mac = raw[: _BODY.size], raw[_BODY.size :]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise TokenInvalid("bad signature")
    dispatch_bytes, channel_index, expiry = _BODY.unpack(body)
    if channel_index >= len(_CHANNELS):
        raise TokenInvalid("unknown channel")
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if now >= expires_at:
        raise TokenExpired(expires_at)
    return AckClaim(str(uuid.UUID(bytes=dispatch_bytes)), _CHANNELS[channel_index], expires_at)
