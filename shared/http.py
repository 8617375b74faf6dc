"""HTTP plumbing every service mounts: health, readiness, metrics, and 4xx error bodies."""

from __future__ import annotations

import asyncio
import string
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.clock import Clock, OffsetClock
from shared.loops import LoopStopped

ReadyCheck = Callable[[], Awaitable[None]]


def database_check(engine: AsyncEngine) -> ReadyCheck:
    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def broker_check(bootstrap_servers: str) -> ReadyCheck:
    async def check() -> None:
        host, _, port = bootstrap_servers.split(",")[0].strip().rpartition(":")
        host = host.strip("[]")  # [::1]:9092
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 3)
        writer.close()
        await writer.wait_closed()

    return check


def clock_state(clock: Clock) -> dict[str, Any]:
    """Whether this process's time can be moved (`make demo`), and how far it has been."""
    if isinstance(clock, OffsetClock):
        return {"movable": True, "offset_s": clock.offset().total_seconds()}
    return {"movable": False, "offset_s": 0.0}


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str]


def ops_router(
    checks: Mapping[str, ReadyCheck],
    registry: CollectorRegistry = REGISTRY,
    clock: Clock | None = None,
) -> APIRouter:
    router = APIRouter(tags=["ops"])

    # The README walkthrough asks for the clock before moving it, so it can stop at once on a
    # stack whose clock cannot move instead of waiting forever for a notice.
    @router.get("/healthz")
    async def healthz() -> dict[str, Any]:
        if clock is None:
            return {"status": "ok"}
        return {"status": "ok", "clock": clock_state(clock)}

    @router.get(
        "/readyz",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "尚未就绪：checks 说明哪一项不可用"}},
    )
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), 5)
                results[name] = "ok"
            except LoopStopped as exc:
                results[name] = f"unavailable: {exc}"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}"
        ok = all(v == "ok" for v in results.values())
        return JSONResponse({"ready": ok, "checks": results}, status_code=200 if ok else 503)

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


_FIELD_MESSAGES = {
    "missing": "必填项缺失",
    "json_invalid": "请求体不是合法的 JSON",
    "string_pattern_mismatch": "格式不正确",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "extra_forbidden": "不允许的字段",
}


# Messages that say the bound pydantic checked (its `ctx`), so "不能大于365", not "输入不合法".
_BOUND_MESSAGES = {
    "string_too_short": "内容过短（至少{min_length}个字符）",
    "string_too_long": "内容过长（最多{max_length}个字符）",
    "too_short": "至少须有{min_length}项",
    "too_long": "最多{max_length}项",
    "greater_than_equal": "不能小于{ge}",
    "greater_than": "须大于{gt}",
    "less_than_equal": "不能大于{le}",
    "less_than": "须小于{lt}",
}
_KIND_MESSAGES = {
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "int_type": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "finite_number": "须为数字",
    "bool_parsing": "须为“是”或“否”",
    "date_parsing": "日期格式不正确（如 2027-01-01）",
    "date_from_datetime_parsing": "日期格式不正确（如 2027-01-01）",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "timezone_aware": "时间须带时区",
}


def _fields_of(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _is_chinese(text: object) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _describe(error: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(error.get("type", ""))
    msg = error.get("msg")
    ctx = error.get("ctx") or {}
    # A validator that already speaks Chinese is quoted as it is (a model validator's ValueError
    # without pydantic's "Value error, " before it).
    said = str(ctx["error"]) if kind == "value_error" and "error" in ctx else msg
    message = _FIELD_MESSAGES.get(kind) or _KIND_MESSAGES.get(kind)
    bound = _BOUND_MESSAGES.get(kind, "")
    # Said only when pydantic gave the bound; otherwise the plain message above.
    if bound and all(key in ctx for key in _fields_of(bound)):
        message = bound.format(**ctx)
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        message = "不能为空"
    if message is None:
        message = said if _is_chinese(said) else "输入不合法"
    return {
        "field": ".".join(str(p) for p in error.get("loc", ()) if p != "body"),
        "message": message,
        "detail": error.get("msg"),
        "type": kind,
    }


# What Starlette and FastAPI answer by themselves, in English; said in Chinese instead.
_FRAMEWORK_DETAILS = {
    "Not Found": "没有这个接口",
    "Method Not Allowed": "该接口不支持此请求方法",
    "Not Authenticated": "未登录或登录已过期，请重新登录",
    "Not authenticated": "未登录或登录已过期，请重新登录",
}
# FastAPI answers 400 when a body it must parse (JSON, form) is unreadable; that is bad input
# in a field like any other, so it is a 422 with the field named, as the OpenAPI documents.
_UNREADABLE_BODY = "There was an error parsing the body"
# Starlette's form parser says the same of a malformed multipart or form body, in its own words.
_UNREADABLE_FORM = (
    "Missing boundary in multipart",
    "Invalid multipart data",
    "The Content-Disposition header field",
    "Field exceeded maximum size",
    "Part exceeded maximum size",
    "Too many fields",
    "Too many files",
)


def _unreadable(detail: object) -> bool:
    return detail == _UNREADABLE_BODY or str(detail).startswith(_UNREADABLE_FORM)


def install_error_handlers(app: FastAPI) -> None:
    """422 bodies name each bad field with a Chinese message (and pydantic's own words); the
    framework's own errors get the same body shape, in Chinese."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and _unreadable(exc.detail):
            problem = {"field": "", "message": "请求体无法解析", "type": "body_invalid"}
            body: dict[str, Any] = {"detail": "请求参数有误", "errors": [problem]}
            return JSONResponse(body, status_code=422)
        detail = _FRAMEWORK_DETAILS.get(str(exc.detail), exc.detail)
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content=jsonable_encoder(
                {"detail": "请求参数有误", "errors": [_describe(e) for e in exc.errors()]}
            ),
        )
