"""The provider calls of a send round (delivery.send): one text or one batch, behind the
round's concurrency gate; whatever goes wrong becomes an outcome, never an exception."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

from services.notification.delivery.batch import Batch, Plan
from services.notification.providers.base import Outcome, Scope, SendResult, TemplateError
from services.notification.providers.email import SmtpSender

log = logging.getLogger(__name__)

# Test hook: the path of a file to create, then stop dead, right after a provider accepted
# an SMS and before the log records it (the crash the delivery log must survive).
CRASH_HOOK_ENV = "NOTIFICATION_TEST_HANG_AFTER_ACCEPT"


async def call_round(
    batches: list[Batch],
    singles: list[Plan],
    smtp: SmtpSender,
    gate: asyncio.Semaphore,
) -> tuple[list[Plan], list[SendResult]]:
    """Calls side by side: the batches' answers, then the singles' (in the order returned)."""
    # Texts first: tasks start in this order, and building an email is CPU work that would
    # otherwise hold a text back before it reaches the provider.
    singles = sorted(singles, key=lambda p: p.sms is None)
    answers = await asyncio.gather(
        *(call_batch(b, gate) for b in batches), *(call_one(p, smtp, gate) for p in singles)
    )
    return singles, answers


async def call_one(plan: Plan, smtp: SmtpSender, gate: asyncio.Semaphore) -> SendResult:
    async with gate:
        try:
            if plan.sms is not None and plan.provider is not None:
                result = await plan.provider.send(plan.sms)
                if result.outcome == Outcome.ACCEPTED and os.environ.get(CRASH_HOOK_ENV):
                    _hang_for_crash_test()
                return result
            assert plan.email is not None
            return await smtp.send(plan.email)
        except TemplateError as exc:
            return SendResult(Outcome.PERMANENT, detail=str(exc), scope=Scope.PROVIDER)
        except Exception as exc:  # a bug or an unexpected answer: the outcome is unknown
            log.exception("provider call failed unexpectedly")
            return SendResult(Outcome.UNKNOWN, detail=f"{type(exc).__name__}: {exc}")


async def call_batch(batch: Batch, gate: asyncio.Semaphore) -> SendResult:
    """One SendBatchSms call; its answer stands for every member."""
    async with gate:
        try:
            result = await batch.provider.send_batch(batch.messages(), batch.out_id)
            if result.outcome == Outcome.ACCEPTED and os.environ.get(CRASH_HOOK_ENV):
                _hang_for_crash_test()
            return result
        except TemplateError as exc:
            return SendResult(Outcome.PERMANENT, detail=str(exc), scope=Scope.PROVIDER)
        except Exception as exc:  # a bug or an unexpected answer: the outcome is unknown
            log.exception("provider batch call failed unexpectedly")
            return SendResult(Outcome.UNKNOWN, detail=f"{type(exc).__name__}: {exc}")


def _hang_for_crash_test() -> None:
    """Announce the crash point, then wait to be SIGKILLed (or kill ourselves)."""
    marker = os.environ[CRASH_HOOK_ENV]
    with open(marker, "w", encoding="utf-8") as fh:
        fh.write(str(os.getpid()))
    time.sleep(30)
    os.kill(os.getpid(), signal.SIGKILL)
