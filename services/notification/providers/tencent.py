"""Tencent Cloud SMS (API 2021-01-11): SendSms and PullSmsSendStatusByPhoneNumber, TC3-signed."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.notification.config import SmsProviderConfig
from services.notification.providers.base import (
    Lookup,
    LookupFailed,
    Outcome,
    Scope,
    SendResult,
    SmsMessage,
    template_params,
)

API_VERSION = "2021-01-11"
SERVICE = "sms"
DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com/"
CONTENT_TYPE = "application/json; charset=utf-8"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int
) -> str:
    """The Authorization header of TC3-HMAC-SHA256 (POST, signed headers content-type;host)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    secret_date = _hmac(("TC3" + secret_key).encode(), date)
    secret_signing = _hmac(_hmac(secret_date, SERVICE), "tc3_request")
    signature = hmac.new(secret_signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


THROTTLE_PREFIXES = ("LimitExceeded", "RequestLimitExceeded")
TRANSIENT_PREFIXES = ("InternalError", "ResourceUnavailable", "FailedOperation.FailResolvePacket")
RECIPIENT_CODES = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
    }
)


def classify_code(code: str, detail: str) -> SendResult:
    if code.startswith(THROTTLE_PREFIXES):
        return SendResult(Outcome.THROTTLED, detail=detail)
    if code in RECIPIENT_CODES:
        return SendResult(Outcome.PERMANENT, detail=detail, scope=Scope.RECIPIENT)
    if code.startswith(TRANSIENT_PREFIXES):
        return SendResult(Outcome.TRANSIENT, detail=detail)
    return SendResult(Outcome.PERMANENT, detail=detail, scope=Scope.PROVIDER)


class TencentProvider:
    def __init__(
        self,
        config: SmsProviderConfig,
        *,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.endpoint = config.endpoint or DEFAULT_ENDPOINT
        self.host = urlsplit(self.endpoint).netloc
        self._client = client or httpx.AsyncClient(
            timeout=config.timeout_s,
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
                keepalive_expiry=config.keepalive_s,
            ),
        )
        self._now = now or (lambda: datetime.now(UTC))

    @property
    def name(self) -> str:
        return self.config.name

    async def _call(self, action: str, body: dict[str, Any]) -> httpx.Response:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        ts = int(self._now().timestamp())
        headers = {
            "Authorization": tc3_authorization(
                secret_id=self.config.access_key_id,
                secret_key=self.config.access_key_secret,
                host=self.host,
                payload=payload,
                timestamp=ts,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Timestamp": str(ts),
            "X-TC-Version": API_VERSION,
            "X-TC-Region": self.config.region or "ap-guangzhou",
        }
        return await self._client.post(self.endpoint, content=payload, headers=headers)

    async def send(self, message: SmsMessage) -> SendResult:
        code, names = template_params(self.config, message)
        body = {
            "PhoneNumberSet": [_e164(message.phone)],
            "SmsSdkAppId": self.config.sdk_app_id,
            "SignName": self.config.sign_name,
            "TemplateId": code,
            "TemplateParamSet": [message.variables[n] for n in names],
            "SessionContext": message.out_id,
        }
        try:
            response = await self._call("SendSms", body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return SendResult(Outcome.TRANSIENT, detail=f"connect: {type(exc).__name__}")
        except httpx.TransportError as exc:
            return SendResult(Outcome.UNKNOWN, detail=f"no answer: {type(exc).__name__}")
        if response.status_code >= 500:
            return SendResult(Outcome.TRANSIENT, detail=f"HTTP {response.status_code}")
        resp = _response(response)
        error = resp.get("Error")
        if isinstance(error, dict):
            code_ = str(error.get("Code", ""))
            return classify_code(code_, f"{code_} {error.get('Message', '')}".strip())
        statuses = resp.get("SendStatusSet") or []
        if not statuses:
            return SendResult(Outcome.UNKNOWN, detail=f"HTTP {response.status_code}: no status")
        status = statuses[0]
        code_ = str(status.get("Code", ""))
        if code_ == "Ok":
            return SendResult(Outcome.ACCEPTED, provider_message_id=status.get("SerialNo"))
        return classify_code(code_, f"{code_} {status.get('Message', '')}".strip())

    async def lookup(self, *, phone: str, out_id: str, sent_at: datetime) -> Lookup | None:
        begin = int((sent_at - timedelta(minutes=5)).timestamp())
        end = int((self._now() + timedelta(minutes=5)).timestamp())
        offset = 0
        while True:
            response = await self._call(
                "PullSmsSendStatusByPhoneNumber",
                {
                    "BeginTime": begin,
                    "EndTime": end,
                    "Offset": offset,
                    "Limit": 100,
                    "PhoneNumber": _e164(phone),
                    "SmsSdkAppId": self.config.sdk_app_id,
                },
            )
            resp = _response(response)
            if response.status_code >= 400 or "Error" in resp:
                raise LookupFailed(f"PullSmsSendStatusByPhoneNumber: {response.status_code}")
            items = resp.get("PullSmsSendStatusSet") or []
            for item in items:
                if item.get("SessionContext") == out_id:
                    return Lookup(
                        found=True,
                        provider_message_id=item.get("SerialNo"),
                        delivered=item.get("ReportStatus") == "SUCCESS",
                        detail=str(item.get("Description", "")),
                    )
            if len(items) < 100:
                return Lookup(found=False)
            offset += 100

    async def aclose(self) -> None:
        await self._client.aclose()


def _e164(phone: str) -> str:
    phone = phone.strip()
    return phone if phone.startswith("+") else "+86" + phone


def _response(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    resp = body.get("Response") if isinstance(body, dict) else None
    return resp if isinstance(resp, dict) else {}
