"""HTTP plumbing every service mounts: health, readiness, metrics, and 4xx error bodies."""

from __future__ import annotations

import asyncio
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


def _is_chinese(text: object) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _describe(error: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(error.get("type", ""))
    msg = error.get("msg")
    # A validator that already speaks Chinese (PydanticCustomError) is quoted as it is.
    fallback = msg if _is_chinese(msg) else "输入不合法"
    return {
        "field": ".".join(str(p) for p in error.get("loc", ()) if p != "body"),
        "message": _FIELD_MESSAGES.get(kind, fallback),
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
