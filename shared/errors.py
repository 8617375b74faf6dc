"""Database and encoding errors as clear Chinese answers, the same in every service.

Fields are checked at the edge; these handlers keep anything missed (a race on a unique key, a
value the database cannot store, text no codec can encode) a 4xx instead of a 500. A database
that cannot be reached or does not answer in time (`db_command_timeout_s`) is a 503 with
Retry-After: the request may be sent again, which a client, the portal or the provincial
platform can act on, where a bare 500 says nothing. hazard_api adds its domain errors on top
(services/hazard_api/errors.py).
"""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

CONFLICT = "数据冲突：记录已存在或已被修改，请刷新后重试"
UNSTORABLE = "输入包含无法保存的字符或超出范围的数值"
UNREACHABLE = "暂时无法连接数据库，请稍后重试"
TIMED_OUT = "系统繁忙，未能在时限内完成，请稍后重试"
RETRY_AFTER_S = 5
# SQLSTATE class 08 (connection exception), and the server shutting down, starting up or full.
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def _is_data_exception(exc: DBAPIError) -> bool:
    # SQLSTATE class 22 is "data exception": NUL in text, a number out of range, bad JSON escape.
    return str(getattr(exc.orig, "sqlstate", "") or "").startswith("22")


def _unreachable(exc: DBAPIError) -> bool:
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    return exc.connection_invalidated or sqlstate.startswith(_UNREACHABLE_STATES)


def _sqlite_locked(exc: DBAPIError) -> bool:
    # SQLite's busy timeout (the command timeout there) ended while another writer held the lock.
    return isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)


def _retry_later(detail: str) -> JSONResponse:
    return JSONResponse(
        {"detail": detail}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


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
        if isinstance(exc, DBAPIError) and _unreachable(exc):
            return _retry_later(UNREACHABLE)
        if isinstance(exc, DBAPIError) and _sqlite_locked(exc):
            return _retry_later(TIMED_OUT)
        raise exc

    # asyncpg raises these untranslated: its command timeout, and a refused or reset connection.
    @app.exception_handler(TimeoutError)
    async def _timed_out(_request: Request, _exc: TimeoutError) -> JSONResponse:
        return _retry_later(TIMED_OUT)

    @app.exception_handler(ConnectionError)
    async def _no_connection(_request: Request, _exc: ConnectionError) -> JSONResponse:
        return _retry_later(UNREACHABLE)

    @app.exception_handler(UnicodeError)
    async def _encoding(_request: Request, _exc: UnicodeError) -> JSONResponse:
        # A lone surrogate (\ud800) parses as JSON but no database driver can encode it.
        return JSONResponse({"detail": "输入包含无效字符（无法编码的文本）"}, status_code=422)
