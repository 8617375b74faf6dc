"""Async engine and session helpers for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite hands back naive values, which are UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    name = (
        url_or_engine.dialect.name
        if isinstance(url_or_engine, AsyncEngine)
        else url_or_engine.split(":", 1)[0]
    )
    return name.startswith("sqlite")


def ensure_sqlite_folder(url: str) -> None:
    """SQLite creates a database file but not its folder (./var on a fresh checkout)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, command_timeout_s: float | None = None, **kwargs: Any) -> AsyncEngine:
    """`command_timeout_s`: how long one statement may take, lock waits included, before it
    fails (TimeoutError on PostgreSQL, "database is locked" on SQLite); None: no limit on
    PostgreSQL (migrations, tools), 30 s of lock wait on SQLite."""
    if is_sqlite(url):
        # SQLAlchemy picks SQLite's pool (a static one for :memory:, which takes no sizes).
        kwargs.pop("pool_size", None)
        kwargs.pop("max_overflow", None)
        busy_s = 30.0 if command_timeout_s is None else command_timeout_s
        kwargs.setdefault("connect_args", {"timeout": busy_s})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so transactions really start (pysqlite quirk).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={round(busy_s * 1000)}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: SQLite's single writer, no upgrade deadlocks.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    if command_timeout_s is not None:
        # On timeout asyncpg cancels the statement on the server and the pool replaces the
        # connection (measured: the next checkout is another backend, nothing left running).
        kwargs["connect_args"] = {
            **kwargs.get("connect_args", {}),
            "command_timeout": command_timeout_s,
        }
    if "pool_pre_ping" in kwargs:
        return create_async_engine(url, **kwargs)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _alive(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        # Instead of pool_pre_ping, which on asyncpg costs three round trips per checkout
        # (BEGIN, ping, ROLLBACK): asyncpg reads every pooled socket, so a connection the server
        # closed (restart, pg_terminate_backend, idle timeout) is already known to be closed.
        # The pool then retries with a new connection.
        if dbapi_conn.driver_connection.is_closed():
            raise DisconnectionError("pooled connection was closed by the server")

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work commits on success and rolls back on error."""
    async with sessionmaker() as session, session.begin():
        yield session
