"""A service's startup heap is frozen out of the collector's full passes (shared.heap)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI

from shared import heap
from shared.apidocs import service_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the collector was asked, in a process that has not frozen yet (this test process
    may have: every service app started in it freezes once)."""
    calls: list[str] = []

    def collect() -> int:
        calls.append("collect")
        return 0

    monkeypatch.setattr(heap, "_frozen", False)
    monkeypatch.setattr(gc, "collect", collect)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    return calls


def test_the_heap_is_collected_then_frozen_once_per_process(recorded: list[str]) -> None:
    assert heap.freeze_startup_heap() is True
    assert heap.freeze_startup_heap() is False
    assert recorded == ["collect", "freeze"]


async def test_a_service_app_freezes_once_its_startup_ran(recorded: list[str]) -> None:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        recorded.append("started")
        yield
        recorded.append("stopped")

    app = service_app(title="t", lifespan=lifespan)
    async with app.router.lifespan_context(app):
        recorded.append("serving")
    assert recorded == ["started", "collect", "freeze", "serving", "stopped"]


def test_a_started_service_process_has_its_heap_frozen() -> None:
    """For real, in a process of its own: the objects alive after startup are frozen."""
    code = (
        "import asyncio, gc\n"
        "from shared.apidocs import service_app\n"
        "app = service_app(title='t')\n"
        "async def main():\n"
        "    before = gc.get_freeze_count()\n"
        "    async with app.router.lifespan_context(app):\n"
        "        print(before, gc.get_freeze_count())\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    before, after = map(int, out.stdout.split())
    assert before == 0
    assert after > 10_000  # modules, classes, the app: tens of thousands of objects
