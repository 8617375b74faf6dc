"""Local HTTP servers that behave like the Aliyun and Tencent Cloud SMS APIs.

They check each request the way the provider would (signature, credentials, API version,
signature name, template code and its parameters, number format), record what they accepted,
answer status queries from those records, and can be told to fail: `mode` is one of
"ok", "5xx", "timeout" (accept, record, then answer too late), "throttle", "down" (5xx
without recording), and for Aliyun "lost" (record nothing and answer too late: a request lost
on the way). The signature checks here are written from the providers'
documentation independently of the adapters under test. Aliyun's lives in emulator_aliyun.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.broker import free_port
from tests.notification.emulator_aliyun import aliyun_endpoint
from tests.notification.emulator_aliyun import aliyun_signature as aliyun_signature
from tests.notification.emulator_records import ACCESS_KEY_ID as ACCESS_KEY_ID
from tests.notification.emulator_records import ACCESS_KEY_SECRET as ACCESS_KEY_SECRET
from tests.notification.emulator_records import SDK_APP_ID as SDK_APP_ID
from tests.notification.emulator_records import SECRET_ID as SECRET_ID
from tests.notification.emulator_records import SECRET_KEY as SECRET_KEY
from tests.notification.emulator_records import SIGN_NAME as SIGN_NAME
from tests.notification.emulator_records import TENCENT_TEMPLATES, Accepted
from tests.notification.emulator_records import Emulator as Emulator


# ---------------------------------------------------------------- Tencent (TC3-HMAC-SHA256)
def tc3_expected(headers: dict[str, str], body: bytes, secret_key: str) -> str:
    timestamp = int(headers["x-tc-timestamp"])
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed = "content-type;host"
    canonical_headers = f"content-type:{headers['content-type']}\nhost:{headers['host']}\n"
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    scope = f"{day}/sms/tc3_request"
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    )

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = h(h(h(f"TC3{secret_key}".encode(), day), "sms"), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


def _tc_error(code: str, status: int = 200) -> JSONResponse:
    return JSONResponse(
        {"Response": {"Error": {"Code": code, "Message": code}, "RequestId": uuid.uuid4().hex}},
        status_code=status,
    )


async def tencent_endpoint(request: Request) -> JSONResponse:
    emu: Emulator = request.app.state.emulator
    emu.requests += 1
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    if headers.get("x-tc-version") != "2021-01-11":
        emu.rejected.append("Version")
        return _tc_error("InvalidParameter.Version")
    if not headers.get("content-type", "").startswith("application/json"):
        return _tc_error("InvalidParameter.ContentType")
    try:
        expected = tc3_expected(headers, body, SECRET_KEY)
    except (KeyError, ValueError):
        emu.rejected.append("AuthFailure.MissingHeader")
        return _tc_error("AuthFailure.SignatureFailure")
    if not hmac.compare_digest(expected, headers.get("authorization", "")):
        emu.rejected.append("AuthFailure.SignatureFailure")
        return _tc_error("AuthFailure.SignatureFailure")
    payload = json.loads(body)
    if payload.get("SmsSdkAppId") != SDK_APP_ID:
        return _tc_error("FailedOperation.SmsSdkAppIdVerifyFail")
    action = headers.get("x-tc-action")
    if action == "PullSmsSendStatusByPhoneNumber":
        return _tencent_pull(emu, payload)
    if action != "SendSms":
        return _tc_error("InvalidAction")
    if emu.mode == "down":
        return JSONResponse({"error": "bad gateway"}, status_code=502)
    if emu.mode == "5xx":
        return _tc_error("InternalError.Timeout", 500)
    if emu.mode == "throttle":
        return _status_set(payload, "LimitExceeded.PhoneNumberThirtySecondLimit")
    if payload.get("SignName") != SIGN_NAME:
        emu.rejected.append("SignName")
        return _status_set(payload, "FailedOperation.SignatureIncorrectOrUnapproved")
    count = TENCENT_TEMPLATES.get(str(payload.get("TemplateId")))
    params = payload.get("TemplateParamSet")
    if count is None or not isinstance(params, list) or len(params) != count:
        emu.rejected.append("Template")
        return _status_set(payload, "FailedOperation.TemplateIncorrectOrUnapproved")
    numbers = payload.get("PhoneNumberSet") or []
    if len(numbers) != 1 or not str(numbers[0]).startswith("+861"):
        return _status_set(payload, "InvalidParameterValue.IncorrectPhoneNumber")
    serial = f"2433:{uuid.uuid4().int % 10**20}"
    emu.accepted.append(
        Accepted(
            phone=numbers[0],
            template=str(payload["TemplateId"]),
            params=params,
            out_id=str(payload.get("SessionContext", "")),
            message_id=serial,
            at=datetime.now(UTC),
        )
    )
    if emu.mode == "timeout":
        await asyncio.sleep(emu.delay_s)
    return _status_set(payload, "Ok", serial)


def _status_set(payload: dict[str, Any], code: str, serial: str = "") -> JSONResponse:
    numbers = payload.get("PhoneNumberSet") or [""]
    return JSONResponse(
        {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": serial,
                        "PhoneNumber": numbers[0],
                        "Fee": 1 if code == "Ok" else 0,
                        "SessionContext": payload.get("SessionContext", ""),
                        "Code": code,
                        "Message": "send success" if code == "Ok" else code,
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": uuid.uuid4().hex,
            }
        }
    )


def _tencent_pull(emu: Emulator, payload: dict[str, Any]) -> JSONResponse:
    phone = payload.get("PhoneNumber")
    rows = [
        {
            "UserReceiveTime": a.at.strftime("%Y-%m-%d %H:%M:%S"),
            "CountryCode": "86",
            "SubscriberNumber": a.phone.removeprefix("+86"),
            "PhoneNumber": a.phone,
            "SerialNo": a.message_id,
            "ReportStatus": "SUCCESS",
            "Description": "用户短信送达成功",
            "SessionContext": a.out_id,
        }
        for a in emu.accepted
        if a.phone == phone
    ]
    offset, limit = int(payload.get("Offset", 0)), int(payload.get("Limit", 100))
    return JSONResponse(
        {
            "Response": {
                "PullSmsSendStatusSet": rows[offset : offset + limit],
                "RequestId": uuid.uuid4().hex,
            }
        }
    )


# ---------------------------------------------------------------- control and serving
async def control(request: Request) -> JSONResponse:
    """For a test in another process: read what was accepted, change the mode."""
    emu: Emulator = request.app.state.emulator
    if request.method == "POST":
        emu.mode = (await request.json())["mode"]
    return JSONResponse(
        {
            "mode": emu.mode,
            "requests": emu.requests,
            "accepted": [
                {"phone": a.phone, "template": a.template, "params": a.params, "out_id": a.out_id}
                for a in emu.accepted
            ],
        }
    )


def make_app(kind: str) -> Starlette:
    endpoint = aliyun_endpoint if kind == "aliyun" else tencent_endpoint
    app = Starlette(
        routes=[
            Route("/", endpoint, methods=["POST"]),
            Route("/_control", control, methods=["GET", "POST"]),
        ]
    )
    app.state.emulator = Emulator(kind)
    return app


@dataclass
class Running:
    emulator: Emulator
    url: str


@contextlib.asynccontextmanager
async def serve(kind: str) -> AsyncIterator[Running]:
    """Runs the emulator under uvicorn in a thread of its own, on a free port."""
    app = make_app(kind)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield Running(app.state.emulator, f"http://127.0.0.1:{port}/")
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


def aliyun_app() -> Starlette:
    """`uvicorn --factory tests.notification.emulators:aliyun_app` (the benchmark's provider)."""
    return make_app("aliyun")
