"""A service's long-running loops (timers, relays, consumers, send rounds), started so that
readiness can tell when one has died.

Each loop retries its own failures; one that ends with an exception anyway (a bug outside its
try, as escalation's timer loop had: steps stopped firing while every /readyz stayed green)
leaves the process serving requests and doing nothing else. `/readyz` then answers 503 naming
the loop, so a monitor or an operator restarts the service.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# Tasks of every loop started in this process; a finished one is dropped when collected.
_loops: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


class LoopStopped(RuntimeError):
    """Raised by the readiness check; its text names the loops and why they ended."""


def start_loop(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """`asyncio.create_task` for a loop meant to run as long as the service does."""
    task = asyncio.create_task(coro, name=name)
    _loops.add(task)
    return task


def dead_loops() -> list[str]:
    """Loops of the running event loop that ended with an exception, as `name（Error）`. A
    loop stopped on purpose (cancelled, or returned) is not dead. A service runs one app per
    process; in a test process a dead loop of an earlier app counts until that app's objects
    are collected (the set holds its tasks weakly)."""
    running = asyncio.get_running_loop()
    dead = []
    for task in list(_loops):
        if task.get_loop() is not running or not task.done() or task.cancelled():
            continue
        error = task.exception()
        if error is not None:
            dead.append(f"{task.get_name()}（{type(error).__name__}）")
    return sorted(dead)


async def loops_check() -> None:
    """A readiness check (`shared.http.ops_router`)."""
    dead = dead_loops()
    if dead:
        raise LoopStopped("后台任务已停止：" + "、".join(dead))
