"""Delivery-receipt callbacks (状态报告推送) of Aliyun and Tencent Cloud SMS."""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.notification.config import Settings
from services.notification.deps import RuntimeDep, SessionDep
from services.notification.events import flush_events
from services.notification.receipts import service
from shared.limits import too_large_message
from shared.problems import problems

router = APIRouter(prefix="/receipts", tags=["receipts"])


def _no_control_characters(value: Any) -> None:
    """NUL and other control characters cannot be stored (PostgreSQL refuses NUL in text)."""
    if isinstance(value, str):
        if any((ord(ch) < 0x20 and ch not in "\t\n\r") or ch == "\x7f" for ch in value):
            raise ValueError("回执内容不能包含控制字符")
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            raise ValueError("回执内容包含无效字符")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_control_characters(key)
            _no_control_characters(item)
    elif isinstance(value, list):
        for item in value:
            _no_control_characters(item)


class _Report(BaseModel):
    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: Any) -> Any:
        _no_control_characters(data)
        return data


class AliyunReport(_Report):
    phone_number: str = Field(min_length=1, max_length=30)
    success: bool
    biz_id: str = Field(min_length=1, max_length=100)
    out_id: str | None = Field(default=None, max_length=64)
    err_code: str = Field(default="", max_length=100)
    err_msg: str = Field(default="", max_length=500)
    send_time: str | None = None
    report_time: str | None = None
    sms_size: str | None = None


class TencentReport(_Report):
    mobile: str = Field(min_length=1, max_length=30)
    report_status: str = Field(pattern="^(SUCCESS|FAIL)$")
    sid: str = Field(min_length=1, max_length=100)
    errmsg: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=500)
    nationcode: str | None = None
    user_receive_time: str | None = None


def accepted_tokens(settings: Settings, kind: str) -> set[str]:
    """The secrets a callback of this provider kind may carry: each configured provider's own
    `receipt_token`, else the service-wide one (which alone counts when no provider of the
    kind is configured any more, for receipts of texts it sent before)."""
    own = [
        p.receipt_token or settings.receipt_token for p in settings.sms_providers if p.kind == kind
    ]
    return {t for t in (own or [settings.receipt_token]) if t}


def _unauthenticated(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message)


def receipt_gate(kind: str) -> Any:
    """Token, then size and count, before the reports are validated or anything is written."""

    async def gate(
        request: Request,
        runtime: RuntimeDep,
        token: Annotated[str | None, Query(max_length=200)] = None,
    ) -> None:
        settings = runtime.settings
        accepted = accepted_tokens(settings, kind)
        if not accepted:
            # Without a secret only a development or test stack takes receipts from anyone.
            if settings.env == "production":
                raise _unauthenticated("未配置短信回执令牌，回执一律拒绝")
        elif not any(hmac.compare_digest(t.encode(), (token or "").encode()) for t in accepted):
            raise _unauthenticated("回执令牌无效")
        body = await request.body()
        if len(body) > settings.receipt_max_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, too_large_message(settings.receipt_max_bytes)
            )
        try:
            reports = json.loads(body)
        except ValueError:
            return  # the body's own validation answers 422
        if isinstance(reports, list) and len(reports) > settings.receipt_max_reports:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"一次回执最多 {settings.receipt_max_reports} 条（收到 {len(reports)} 条），"
                "请分批推送",
            )

    return gate


@router.post("/aliyun", dependencies=[Depends(receipt_gate("aliyun"))], responses=problems(401))
async def aliyun_receipts(
    reports: list[AliyunReport],
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, object]:
    for report in reports:
        await service.record(
            session=session,
            outcomes=runtime.outcomes,
            provider_kind="aliyun",
            message_id=report.biz_id,
            phone=report.phone_number,
            out_id=report.out_id,
            success=report.success,
            code=report.err_code,
            raw=report.model_dump(mode="json"),
            now=runtime.clock.now(),
        )
    await flush_events(session, now=runtime.clock.now())
    return {"code": 0, "msg": "成功"}


@router.post("/tencent", dependencies=[Depends(receipt_gate("tencent"))], responses=problems(401))
async def tencent_receipts(
    reports: list[TencentReport],
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, object]:
    for report in reports:
        await service.record(
            session=session,
            outcomes=runtime.outcomes,
            provider_kind="tencent",
            message_id=report.sid,
            phone=report.mobile,
            out_id=None,
            success=report.report_status == "SUCCESS",
            code=report.errmsg,
            raw=report.model_dump(mode="json"),
            now=runtime.clock.now(),
        )
    await flush_events(session, now=runtime.clock.now())
    return {"result": 0, "errmsg": "OK"}
