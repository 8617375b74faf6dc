"""A service's long-running loops (timers, relays, consumers, send rounds), started so that
readiness can tell when one has died.

Each loop retries its own failures; one that ends with an exception anyway (a bug outside its
try, as escalation's timer loop had: steps stopped firing while every /readyz stayed green)
leaves the process serving requests and doing nothing else. `/readyz` then answers 503 naming
the loop, so a monitor or an operator restarts the service, and the log has its traceback from
the moment it died. A loop stopped on purpose (`stop_loop`) no longer counts, whatever it did.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# Tasks of every loop started in this process; a finished one is dropped when collected.
_loops: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


class LoopStopped(RuntimeError):
    """Raised by the readiness check; its text names the loops and why they ended."""


def start_loop(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """`asyncio.create_task` for a loop meant to run as long as the service does."""
    task = asyncio.create_task(coro, name=name)
    _loops.add(task)
    task.add_done_callback(_report_death)
    return task


def _report_death(task: asyncio.Task[Any]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    error = task.exception()
    log.error("loop %s died: %r", task.get_name(), error, exc_info=error)


async def stop_loop(task: asyncio.Task[Any] | None, *, grace: float = 0) -> None:
    """Stop a loop on purpose: up to `grace` s for it to end by itself (its owner has told it
    to), then cancelled. A loop that had died is not raised again (its error was logged when
    it died), and readiness forgets it either way: an app stopped in a process (a test's, a
    restarted lifespan) leaves nothing behind for the next one's /readyz."""
    if task is None:
        return
    try:
        if grace > 0 and not task.done():
            await asyncio.wait({task}, timeout=grace)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller is being cancelled, not only the loop
        except Exception:  # died earlier: `_report_death` logged it
            pass
    finally:
        task.cancel()  # still running only when the caller was cancelled during the grace
        _loops.discard(task)


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
