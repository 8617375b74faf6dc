"""The garbage collector in a long-running service process.

Every service keeps a large heap of objects that live as long as the process: modules,
classes, the ORM's mappers, pydantic's validators, the routes, caches filled at startup. The
collector's full (oldest-generation) pass traversed all of them again and again: measured in
the accident bench (#15), 40 to 160 ms per pass in each service on a loaded machine, long
enough to be an accident text's p99 on its own. `freeze_startup_heap` moves what is alive once
the service has started into the collector's permanent generation (`gc.freeze`), so a full
pass looks only at what was made since; reference counting still frees those objects when
they are dropped, and cycles among them are simply never collected (they live for the
process anyway).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from starlette.types import Lifespan

_frozen = False

App = TypeVar("App")


def freeze_startup_heap() -> bool:
    """Collect what startup left behind, then freeze the rest; once per process (the first
    app started in it: a test process starts many, and their garbage must stay collectable).
    True if this call froze."""
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.collect()
    gc.freeze()
    return True


def frozen_after_start(lifespan: Lifespan[App] | None) -> Lifespan[App]:
    """`lifespan` with the heap frozen once its startup part has run."""

    @asynccontextmanager
    async def wrapped(app: App) -> AsyncIterator[None]:
        if lifespan is None:
            freeze_startup_heap()
            yield
            return
        async with lifespan(app):
            freeze_startup_heap()
            yield

    return wrapped
