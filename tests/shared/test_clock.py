"""Clocks: the test clock moves only when told and wakes its sleepers; the offset clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.clock import SHANGHAI, OffsetClock, SystemClock, TestClock, local

START = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)


def test_test_clock_stands_still_until_advanced() -> None:
    clock = TestClock(START)
    assert clock.now() == START
    assert clock.advance(minutes=90) == START + timedelta(minutes=90)
    assert clock.advance(timedelta(days=1)) == START + timedelta(days=1, minutes=90)
    assert clock.now().tzinfo is UTC


def test_test_clock_set_converts_to_utc() -> None:
    clock = TestClock(START)
    clock.set(datetime(2026, 10, 1, 8, 0, tzinfo=SHANGHAI))
    assert clock.now() == datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_test_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        TestClock(datetime(2026, 3, 6, 9, 0))


async def test_sleeping_never_moves_the_test_clock() -> None:
    """Polling loops sleep in short real-time slices; only the test moves time."""
    clock = TestClock(START)
    for _ in range(3):
        await clock.sleep(3600)
    assert clock.now() == START


async def test_a_sleeper_sees_the_advanced_time_when_it_wakes() -> None:
    clock = TestClock(START)
    woke_at: list[datetime] = []

    async def sleeper() -> None:
        await clock.sleep(3600)
        woke_at.append(clock.now())

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    clock.advance(hours=1)
    await asyncio.wait_for(task, 5)
    assert woke_at == [START + timedelta(hours=1)]


def test_local_is_the_same_instant_in_shanghai() -> None:
    shown = local(START)
    assert shown == START
    assert (shown.hour, shown.utcoffset()) == (9, timedelta(hours=8))


def test_offset_clock_follows_its_file(tmp_path: Path) -> None:
    path = tmp_path / "offset"
    clock = OffsetClock(str(path))
    assert abs(clock.now() - SystemClock().now()) < timedelta(minutes=1)  # no file: no offset
    path.write_text("-7200")
    assert SystemClock().now() - clock.now() > timedelta(minutes=119)
    assert clock.now().utcoffset() == UTC.utcoffset(None)
