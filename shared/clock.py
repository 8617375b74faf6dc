"""Injected clocks: rule code asks a clock for the time, tests move it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC datetime."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time (a test clock wakes early when advanced)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class TestClock:
    """A clock that only moves when told to; sleepers wake when it is advanced."""

    __test__ = False  # not a pytest test class

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("TestClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)
        self._moved.set()
        self._moved = asyncio.Event()

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.set(self._now + (delta or timedelta(**kwargs)))
        return self._now

    async def sleep(self, seconds: float) -> None:
        # Real time still passes a little so loops that poll do not spin.
        moved = self._moved
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(moved.wait(), timeout=min(seconds, 0.05))


class OffsetClock:
    """System time plus an offset read from a file on every call.

    Lets end-to-end tests move the time of several service processes at once:
    they write a number of seconds into the file.
    """

    def __init__(self, offset_file: str) -> None:
        self._path = offset_file

    def offset(self) -> timedelta:
        try:
            with open(self._path, encoding="ascii") as fh:
                return timedelta(seconds=float(fh.read().strip() or 0))
        except FileNotFoundError:
            return timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.2))


def local(dt: datetime) -> datetime:
    """The same instant in Asia/Shanghai, for rules and display."""
    return dt.astimezone(SHANGHAI)
