"""Aliyun SMS (dysmsapi 2017-05-25): SendSms, SendBatchSms and QuerySendDetails, RPC-signed
(HMAC-SHA1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from services.notification.config import SmsProviderConfig
from services.notification.providers.base import (
    MAX_BATCH,
    Lookup,
    LookupFailed,
    Outcome,
    Scope,
    SendResult,
    SmsMessage,
    TemplateError,
    mainland_number,
    template_params,
)
from shared.clock import local

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"

THROTTLE_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
    }
)
RECIPIENT_CODES = frozenset(
    {"isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.BLACK_KEY_CONTROL_LIMIT"}
)


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun's POP signature wants it: space %20, '*' %2A, '~' kept."""
    return quote(value, safe="~")


# The canonical query holds only unreserved characters and '%', '=', '&': encoding it a
# second time (as the signature wants) is three replacements ('%' first), not a byte-by-byte
# quote of a string several hundred bytes long on every send (~5 µs instead of ~60 µs).
def _encode_canonical(canonical: str) -> str:
    return canonical.replace("%", "%25").replace("=", "%3D").replace("&", "%26")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    return f"{method}&{percent_encode('/')}&{_encode_canonical(canonical)}"


def sign(method: str, params: Mapping[str, str], secret: str) -> str:
    digest = hmac.new(
        (secret + "&").encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AliyunProvider:
    def __init__(
        self,
        config: SmsProviderConfig,
        *,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.endpoint = config.endpoint or DEFAULT_ENDPOINT
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

    def signed_params(self, action: str, params: Mapping[str, str]) -> dict[str, str]:
        common = {
            "AccessKeyId": self.config.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.config.region or "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp(self._now()),
            "Version": API_VERSION,
        }
        all_params = {**common, **params}
        all_params["Signature"] = sign("POST", all_params, self.config.access_key_secret)
        return all_params

    async def _call(self, action: str, params: Mapping[str, str]) -> httpx.Response:
        return await self._client.post(self.endpoint, data=self.signed_params(action, params))

    async def send(self, message: SmsMessage) -> SendResult:
        code, names = template_params(self.config, message)
        params = {
            "PhoneNumbers": mainland_number(message.phone),
            "SignName": self.config.sign_name,
            "TemplateCode": code,
            "TemplateParam": json.dumps(
                {n: message.variables[n] for n in names}, ensure_ascii=False
            ),
            "OutId": message.out_id,
        }
        return await self._send("SendSms", params)

    async def send_batch(self, messages: Sequence[SmsMessage], out_id: str) -> SendResult:
        """One SendBatchSms call: one template, a number, signature and parameter set each
        (at most 100); one answer and one BizId for all of them."""
        if not 0 < len(messages) <= MAX_BATCH:
            raise ValueError(f"SendBatchSms takes 1 to 100 numbers, not {len(messages)}")
        code, names = template_params(self.config, messages[0])
        params_each = []
        for message in messages:
            if template_params(self.config, message)[0] != code:
                raise TemplateError(message.template, self.config.name)
            params_each.append({n: message.variables[n] for n in names})
        params = {
            "PhoneNumberJson": json.dumps([mainland_number(m.phone) for m in messages]),
            "SignNameJson": json.dumps([self.config.sign_name] * len(messages), ensure_ascii=False),
            "TemplateCode": code,
            "TemplateParamJson": json.dumps(params_each, ensure_ascii=False),
            "OutId": out_id,
        }
        return await self._send("SendBatchSms", params)

    async def _send(self, action: str, params: Mapping[str, str]) -> SendResult:
        try:
            response = await self._call(action, params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return SendResult(Outcome.TRANSIENT, detail=f"connect: {type(exc).__name__}")
        except httpx.TransportError as exc:  # sent, no answer: maybe accepted
            return SendResult(Outcome.UNKNOWN, detail=f"no answer: {type(exc).__name__}")
        return classify(response)

    async def lookup(self, *, phone: str, out_id: str, sent_at: datetime) -> Lookup | None:
        page = 1
        while True:
            response = await self._call(
                "QuerySendDetails",
                {
                    "PhoneNumber": mainland_number(phone),
                    "SendDate": local(sent_at).strftime("%Y%m%d"),
                    "PageSize": "50",
                    "CurrentPage": str(page),
                },
            )
            body = _json(response)
            if response.status_code >= 400 or body.get("Code") != "OK":
                raise LookupFailed(f"QuerySendDetails: {response.status_code} {body.get('Code')}")
            details = body.get("SmsSendDetailDTOs", {}).get("SmsSendDetailDTO", [])
            for item in details:
                if item.get("OutId") == out_id:
                    status = int(item.get("SendStatus", 1))
                    return Lookup(
                        found=True,
                        delivered={3: True, 2: False}.get(status),
                        detail=str(item.get("ErrCode", "")),
                    )
            if page * 50 >= int(body.get("TotalCount", 0)) or not details:
                return Lookup(found=False)
            page += 1

    async def aclose(self) -> None:
        await self._client.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def classify(response: httpx.Response) -> SendResult:
    body = _json(response)
    code = str(body.get("Code", ""))
    detail = f"{response.status_code} {code} {body.get('Message', '')}".strip()
    if response.status_code < 400 and code == "OK":
        return SendResult(Outcome.ACCEPTED, provider_message_id=body.get("BizId"), detail="OK")
    if code in THROTTLE_CODES or response.status_code == 429:
        return SendResult(Outcome.THROTTLED, detail=detail)
    if code in RECIPIENT_CODES:
        return SendResult(Outcome.PERMANENT, detail=detail, scope=Scope.RECIPIENT)
    if response.status_code >= 500 or code.startswith(("isp.", "InternalError", "Service")):
        return SendResult(Outcome.TRANSIENT, detail=detail)
    return SendResult(Outcome.PERMANENT, detail=detail, scope=Scope.PROVIDER)
