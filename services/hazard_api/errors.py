"""Domain errors and their HTTP answers: nothing a client sends may end in a 5xx (database and
encoding errors: shared/errors.py, installed by shared/guard.py)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


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
