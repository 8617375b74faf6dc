"""Domain errors and their HTTP answers: nothing a client sends may end in a 5xx."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """Missing, or outside the caller's scope (which must look the same)."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class FieldError(DomainError):
    """A field's value is well-formed but wrong (unknown reference, wrong kind of unit…)."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def install_domain_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, FieldError):
            body = {
                "detail": "请求参数有误",
                "errors": [{"field": exc.field, "message": exc.message, "type": "invalid_field"}],
            }
            return JSONResponse(body, status_code=422)
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # Unique keys and references are checked before writing; this is the race's answer.
        return JSONResponse(
            {"detail": "数据冲突：记录已存在或已被修改，请刷新后重试"}, status_code=409
        )

    @app.exception_handler(DBAPIError)
    async def _data(request: Request, exc: DBAPIError) -> JSONResponse:
        # SQLSTATE class 22 is "data exception": a value the database cannot store. Fields are
        # checked at the edge; this keeps anything missed a 4xx rather than a crash.
        if str(getattr(exc.orig, "sqlstate", "") or "").startswith("22"):
            return JSONResponse(
                {"detail": "输入包含无法保存的字符或超出范围的数值"}, status_code=422
            )
        raise exc
