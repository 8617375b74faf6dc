"""The running service's durable work, in three loops on the injected clock.

- preparation: resolve requests into notices and bundle them into dispatches; woken by the
  consumer's commit of a new request, so an `immediate` step's notices and dispatch exist
  milliseconds after the event arrived;
- sending: each wake-up starts a send round as a task of its own (at most `max_rounds` at a
  time) and does not wait for it, so an accident's texts never queue behind the provider calls
  of the previous accident's round; a round's own texts go out side by side (Sender's gate);
- reconciliation: settles stale attempts on its own interval. It runs beside live rounds:
  it skips attempts a round of this process is still calling or recording and dispatches
  another transaction holds, and it takes locks in the rounds' order (lock_dispatches), so
  it neither deadlocks with a round nor settles an attempt twice.

`Runtime.tick()` does the same work in turn (tests call it directly).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from services.notification.delivery.reconcile import Reconciler
from services.notification.delivery.send import Claimed, Sender
from shared.clock import Clock
from shared.loops import start_loop, stop_loop

log = logging.getLogger(__name__)


class Prepared(Protocol):
    """What a preparation pass did (services.notification.runtime.TickResult)."""

    dispatched: int  # dispatches made: their deliveries are due
    more: bool  # due work left for another pass
    claimed: Claimed | None  # deliveries the pass claimed, to deliver now


class Scheduler:
    def __init__(
        self,
        *,
        prepare: Callable[[], Awaitable[Prepared]],
        sender: Sender,
        reconciler: Reconciler,
        clock: Clock,
        interval_s: float,
        max_rounds: int = 8,
    ) -> None:
        self.prepare = prepare
        self.sender = sender
        self.reconciler = reconciler
        self.clock = clock
        self.interval_s = interval_s
        self.prepare_wake = asyncio.Event()
        self.send_wake = asyncio.Event()
        self._slots = asyncio.Semaphore(max_rounds)
        self._rounds: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._loops = [
            start_loop(self._preparing(), name="notification-prepare"),
            start_loop(self._sending(), name="notification-send"),
            start_loop(self._reconciling(), name="notification-reconcile"),
        ]

    async def stop(self) -> None:
        loops, rounds = self._loops, list(self._rounds)
        self._loops, self._rounds = [], set()
        for task in rounds:
            task.cancel()
        await asyncio.gather(*(stop_loop(task) for task in loops))
        for task in rounds:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _idle(self, wake: asyncio.Event | None) -> None:
        """Until the interval passed on the clock, or `wake` is set."""
        sleep = asyncio.ensure_future(self.clock.sleep(self.interval_s))
        waiters: set[asyncio.Future[Any]] = {sleep}
        if wake is not None:
            waiters.add(asyncio.ensure_future(wake.wait()))
        _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    async def _preparing(self) -> None:
        while True:
            self.prepare_wake.clear()  # before the pass: a request committed meanwhile wakes us
            try:
                prepared = await self.prepare()
            except Exception:
                log.exception("notification: preparing notices failed; retrying")
                await self._idle(self.prepare_wake)
                continue
            if prepared.claimed is not None:
                self._spawn(self._claimed_round(prepared.claimed))
            elif prepared.dispatched:
                self.send_wake.set()  # new dispatches: their deliveries are due now
            # Another pass at once only when this one left due work; an empty pass right
            # after a busy one only competed with the send round it had just woken.
            if not prepared.more:
                await self._idle(self.prepare_wake)

    async def _sending(self) -> None:
        while True:
            self.send_wake.clear()
            await self._slots.acquire()
            self._spawn(self._round())
            await self._idle(self.send_wake)

    def _spawn(self, round_: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(round_, name="notification-send-round")
        self._rounds.add(task)
        task.add_done_callback(self._rounds.discard)

    async def _claimed_round(self, claimed: Claimed) -> None:
        """A round whose claim the preparation pass made (its slot taken here, so the pass
        never waits for one)."""
        await self._slots.acquire()
        await self._round(claimed)

    async def _round(self, claimed: Claimed | None = None) -> None:
        try:
            if claimed is None:
                sent = await self.sender.send_due()
            else:
                sent = await self.sender.deliver(claimed)
            if sent:
                self.send_wake.set()  # more may be due (a full claim, retries, failover)
        except Exception:
            log.exception("notification: send round failed; retrying")
        finally:
            self._slots.release()

    async def _reconciling(self) -> None:
        while True:
            try:
                await self.reconciler.reconcile()
            except Exception:
                log.exception("notification: reconciliation failed; retrying")
            await self._idle(None)
