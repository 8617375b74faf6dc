"""Database and encoding errors as 4xx answers, the same in every service.

Fields are checked at the edge; these handlers keep anything missed (a race on a unique key, a
value the database cannot store, text no codec can encode) a clear Chinese 4xx instead of a
500. hazard_api adds its domain errors on top (services/hazard_api/errors.py).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

CONFLICT = "数据冲突：记录已存在或已被修改，请刷新后重试"
UNSTORABLE = "输入包含无法保存的字符或超出范围的数值"


def _is_data_exception(exc: DBAPIError) -> bool:
    # SQLSTATE class 22 is "data exception": NUL in text, a number out of range, bad JSON escape.
    return str(getattr(exc.orig, "sqlstate", "") or "").startswith("22")


def _is_encoding_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UnicodeError):
            return True
        seen.add(id(current))
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def install_storage_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # Unique keys and references are checked before writing; this is the race's answer.
        return JSONResponse({"detail": CONFLICT}, status_code=409)

    @app.exception_handler(StatementError)
    async def _statement(_request: Request, exc: StatementError) -> JSONResponse:
        # DBAPIError is a StatementError: the most specific handler (above) wins for conflicts.
        if (isinstance(exc, DBAPIError) and _is_data_exception(exc)) or _is_encoding_error(exc):
            return JSONResponse({"detail": UNSTORABLE}, status_code=422)
        raise exc

    @app.exception_handler(UnicodeError)
    async def _encoding(_request: Request, _exc: UnicodeError) -> JSONResponse:
        # A lone surrogate (\ud800) parses as JSON but no database driver can encode it.
        return JSONResponse({"detail": "输入包含无效字符（无法编码的文本）"}, status_code=422)
