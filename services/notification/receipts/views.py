"""Delivery-receipt callbacks (状态报告推送) of Aliyun and Tencent Cloud SMS."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from services.notification.deps import RuntimeDep, SessionDep
from services.notification.events import flush_events
from services.notification.receipts import service
from shared.problems import problems

router = APIRouter(prefix="/receipts", tags=["receipts"])


class AliyunReport(BaseModel):
    model_config = ConfigDict(extra="allow")

    phone_number: str = Field(min_length=1, max_length=30)
    success: bool
    biz_id: str = Field(min_length=1, max_length=100)
    out_id: str | None = Field(default=None, max_length=64)
    err_code: str = Field(default="", max_length=100)
    err_msg: str = Field(default="", max_length=500)
    send_time: str | None = None
    report_time: str | None = None
    sms_size: str | None = None


class TencentReport(BaseModel):
    model_config = ConfigDict(extra="allow")

    mobile: str = Field(min_length=1, max_length=30)
    report_status: str = Field(pattern="^(SUCCESS|FAIL)$")
    sid: str = Field(min_length=1, max_length=100)
    errmsg: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=500)
    nationcode: str | None = None
    user_receive_time: str | None = None


def _check_token(runtime: RuntimeDep, token: str | None) -> None:
    expected = runtime.settings.receipt_token
    if expected and not hmac.compare_digest(expected, token or ""):
        raise HTTPException(403, detail="回执令牌无效")


@router.post("/aliyun", responses=problems(403))
async def aliyun_receipts(
    reports: list[AliyunReport],
    session: SessionDep,
    runtime: RuntimeDep,
    token: str | None = Query(default=None, max_length=200),
) -> dict[str, object]:
    _check_token(runtime, token)
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


@router.post("/tencent", responses=problems(403))
async def tencent_receipts(
    reports: list[TencentReport],
    session: SessionDep,
    runtime: RuntimeDep,
    token: str | None = Query(default=None, max_length=200),
) -> dict[str, object]:
    _check_token(runtime, token)
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
