"""The Aliyun dysmsapi emulator: RPC signature (HMAC-SHA1), SendSms, SendBatchSms (up to 100
numbers, one template, a signature and parameter set per number) and QuerySendDetails.

Every number of an accepted batch is recorded on its own (with the batch's OutId and BizId),
so tests count per-number deliveries as they would for single sends.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse

from tests.notification.emulator_records import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    ALIYUN_TEMPLATES,
    SIGN_NAME,
    Accepted,
    Emulator,
)


def _pct(value: str) -> str:
    return quote(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def aliyun_signature(method: str, params: dict[str, str], secret: str) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    query = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in pairs)
    text = method + "&" + _pct("/") + "&" + _pct(query)
    mac = hmac.new(f"{secret}&".encode(), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def _aliyun_error(code: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"Code": code, "Message": code, "RequestId": uuid.uuid4().hex}, status_code=status
    )


async def aliyun_endpoint(request: Request) -> JSONResponse:
    emu: Emulator = request.app.state.emulator
    emu.requests += 1
    form = await request.form()
    params = {k: str(v) for k, v in form.items()}
    if params.get("AccessKeyId") != ACCESS_KEY_ID:
        emu.rejected.append("InvalidAccessKeyId")
        return _aliyun_error("InvalidAccessKeyId.NotFound", 404)
    required = ("Action", "Format", "SignatureMethod", "SignatureNonce", "Timestamp", "Version")
    if any(k not in params for k in required) or params.get("SignatureVersion") != "1.0":
        emu.rejected.append("MissingParameter")
        return _aliyun_error("MissingParameter")
    if params["SignatureMethod"] != "HMAC-SHA1" or params["Version"] != "2017-05-25":
        emu.rejected.append("InvalidParameter")
        return _aliyun_error("InvalidParameter")
    datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    expected = aliyun_signature(request.method, params, ACCESS_KEY_SECRET)
    if not hmac.compare_digest(expected, params.get("Signature", "")):
        emu.rejected.append("SignatureDoesNotMatch")
        return _aliyun_error("SignatureDoesNotMatch")
    if params["Action"] == "QuerySendDetails":
        return _aliyun_query(emu, params)
    if params["Action"] not in ("SendSms", "SendBatchSms"):
        return _aliyun_error("InvalidAction.NotFound", 404)
    if emu.mode == "down":
        return _aliyun_error("ServiceUnavailable", 503)
    if emu.mode == "lost":  # never reached the provider: nothing recorded, the caller times out
        await asyncio.sleep(emu.delay_s)
        return _aliyun_error("ServiceUnavailable", 503)
    if emu.mode == "5xx":
        return _aliyun_error("isp.SYSTEM_ERROR", 500)
    if emu.mode == "throttle":
        return JSONResponse({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码天级流控"})
    if params["Action"] == "SendBatchSms":
        texts = _aliyun_batch(emu, params)
    else:
        texts = _aliyun_single(emu, params)
    if isinstance(texts, JSONResponse):
        return texts
    biz_id = f"{uuid.uuid4().int % 10**18}^0"
    at = datetime.now(UTC)
    out_id = params.get("OutId", "")
    template = params["TemplateCode"]
    for phone, values in texts:  # one record per number: tests count per-number deliveries
        emu.accepted.append(Accepted(phone, template, values, out_id, biz_id, at))
    if len(texts) > 1:
        emu.batches.append(len(texts))
    if emu.mode == "timeout":
        await asyncio.sleep(emu.delay_s)
    return JSONResponse(
        {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": uuid.uuid4().hex}
    )


def _valid_mobile(phone: object) -> bool:
    return isinstance(phone, str) and len(phone) == 11 and phone.isdigit() and phone[0] == "1"


def _valid_params(names: list[str] | None, values: object) -> bool:
    return (
        names is not None
        and isinstance(values, dict)
        and sorted(values) == sorted(names)
        and all(isinstance(v, str) and v for v in values.values())
    )


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except ValueError:
        return None


Texts = list[tuple[str, dict[str, str]]]


def _aliyun_single(emu: Emulator, params: dict[str, str]) -> Texts | JSONResponse:
    phone = params.get("PhoneNumbers", "")
    if not _valid_mobile(phone):
        return JSONResponse({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
    if params.get("SignName") != SIGN_NAME:
        emu.rejected.append("SignName")
        return JSONResponse({"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"})
    names = ALIYUN_TEMPLATES.get(params.get("TemplateCode", ""))
    values = _loads(params.get("TemplateParam", "{}"))
    if not _valid_params(names, values):
        emu.rejected.append("Template")
        return JSONResponse({"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"})
    return [(phone, values)]


def _aliyun_batch(emu: Emulator, params: dict[str, str]) -> Texts | JSONResponse:
    """SendBatchSms: JSON arrays of numbers, signatures and parameter sets, one each, at most
    100; one template. The whole call is refused if anything in it is wrong."""
    phones = _loads(params.get("PhoneNumberJson"))
    signs = _loads(params.get("SignNameJson"))
    values = _loads(params.get("TemplateParamJson"))
    if not all(isinstance(x, list) for x in (phones, signs, values)):
        emu.rejected.append("BatchParameter")
        return _aliyun_error("isv.INVALID_JSON_PARAM")
    if not (len(phones) == len(signs) == len(values)):
        emu.rejected.append("BatchCount")
        return _aliyun_error("isv.INVALID_PARAMETERS")
    if not 0 < len(phones) <= 100:
        return JSONResponse({"Code": "isv.MOBILE_COUNT_OVER_LIMIT", "Message": "号码数量超限"})
    if not all(_valid_mobile(p) for p in phones):
        return JSONResponse({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
    if any(sign != SIGN_NAME for sign in signs):
        emu.rejected.append("SignName")
        return JSONResponse({"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"})
    names = ALIYUN_TEMPLATES.get(params.get("TemplateCode", ""))
    if not all(_valid_params(names, v) for v in values):
        emu.rejected.append("Template")
        return JSONResponse({"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"})
    return list(zip(phones, values, strict=True))


def _aliyun_query(emu: Emulator, params: dict[str, str]) -> JSONResponse:
    phone = params.get("PhoneNumber", "")
    date = params.get("SendDate", "")
    if not date or len(date) != 8:
        return _aliyun_error("isv.InvalidParameter")
    rows = [
        {
            "PhoneNum": a.phone,
            "SendStatus": 3,
            "ErrCode": "DELIVERED",
            "TemplateCode": a.template,
            "Content": json.dumps(a.params, ensure_ascii=False),
            "SendDate": a.at.strftime("%Y-%m-%d %H:%M:%S"),
            "ReceiveDate": a.at.strftime("%Y-%m-%d %H:%M:%S"),
            "OutId": a.out_id,
        }
        for a in emu.accepted
        if a.phone == phone
    ]
    size = int(params.get("PageSize", "10"))
    page = int(params.get("CurrentPage", "1"))
    return JSONResponse(
        {
            "Code": "OK",
            "Message": "OK",
            "TotalCount": len(rows),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows[(page - 1) * size : page * size]},
        }
    )
