"""Standard Webhooks signatures (https://www.standardwebhooks.com/), both ways.

`webhook-signature` is `v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`; during a
secret rotation one header carries a signature per secret, space-separated, and a receiver
accepts the request when any of them verifies with a secret it knows. Secrets are
`whsec_<base64>` (the part after the prefix, decoded, is the HMAC key).

Written here rather than taken from the `standardwebhooks` package: the scheme is these few
lines, and that package pulls in a generated API client (attrs, dateutil, Deprecated, httpx
pinned by its generator) for what it adds beyond them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SECRET_PREFIX = "whsec_"
# A receiver refuses timestamps this far from its own clock (replayed captures).
TOLERANCE_S = 5 * 60


class SignatureError(Exception):
    """Why a request's signature is not accepted (the receiver answers 401)."""


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature."""
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


@dataclass(frozen=True)
class SignedHeaders:
    msg_id: str
    timestamp: int
    signature: str

    def as_dict(self) -> dict[str, str]:
        return {
            "webhook-id": self.msg_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
            "content-type": "application/json",
        }


def signed_headers(
    secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> SignedHeaders:
    return SignedHeaders(msg_id, timestamp, signature_header(secrets, msg_id, timestamp, body))


def verify(secrets: Sequence[str], headers: Mapping[str, str], body: bytes, *, now: int) -> str:
    """The message id of a request whose signature verifies with one of `secrets`; raises
    SignatureError otherwise. `headers` keys are lower-case (as httpx and Starlette give them).
    """
    msg_id = headers.get("webhook-id", "")
    raw_ts = headers.get("webhook-timestamp", "")
    header = headers.get("webhook-signature", "")
    if not msg_id or not raw_ts or not header:
        raise SignatureError("缺少 webhook-id、webhook-timestamp 或 webhook-signature 请求头")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise SignatureError("webhook-timestamp 不是整数秒") from None
    if abs(now - timestamp) > TOLERANCE_S:
        raise SignatureError("webhook-timestamp 与当前时间相差超过 5 分钟")
    expected = {sign(secret, msg_id, timestamp, body) for secret in secrets}
    for candidate in header.split(" "):
        if candidate.startswith("v1,") and any(
            hmac.compare_digest(candidate, wanted) for wanted in expected
        ):
            return msg_id
    raise SignatureError("签名无效")
