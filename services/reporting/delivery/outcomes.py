"""What an answer (or its absence) means for a submission, and when to try again.

2xx: delivered, the body is the province's receipt. 410 Gone: the endpoint is disabled (a
person must look). 429 and 503 with Retry-After: wait that long. Anything else, a timeout or
a refused connection: exponential backoff with jitter. A retry that would fall after the
retry window (about three days from the first attempt) is not made: the submission is dead.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import httpx

from services.reporting.config import Settings


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"  # 410: the endpoint is disabled
    DEAD = "dead"  # the retry window is over


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no answer (timeout, connection refused …)
    body: str | None = None
    retry_after: str | None = None
    error: str | None = None


# What a clerk reads on the 上报记录 page for a push that got no answer; the exception's own
# name and text go to the log, where an operator looks.
NO_ANSWER: dict[type[Exception], str] = {
    httpx.ConnectTimeout: "连接省级平台超时",
    httpx.ReadTimeout: "超时：省级平台未在时限内答复",
    httpx.WriteTimeout: "超时：报文未能在时限内发出",
    httpx.PoolTimeout: "超时：本地推送连接繁忙",
    httpx.ConnectError: "连接失败：无法连接省级平台",
    httpx.RemoteProtocolError: "连接失败：省级平台中断了连接",
}


def no_answer(exc: httpx.HTTPError) -> str:
    for kind, text in NO_ANSWER.items():
        if isinstance(exc, kind):
            return text
    return (
        "超时：省级平台未答复"
        if isinstance(exc, httpx.TimeoutException)
        else "网络错误：推送未完成"
    )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return float(max(0.0, (when - now).total_seconds()))


def backoff_seconds(settings: Settings, attempt_no: int, rng: random.Random) -> float:
    """The pause after the `attempt_no`-th failed attempt (1-based), jittered."""
    base = min(settings.retry_base_s * 2.0 ** (attempt_no - 1), settings.retry_max_interval_s)
    jitter = settings.retry_jitter
    return float(base * rng.uniform(1 - jitter, 1 + jitter))


def receipt_of(body: str | None) -> dict[str, Any] | None:
    if not body:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    next_attempt_at: datetime | None
    retry_after_s: float | None = None


def decide(
    settings: Settings,
    answer: Answer,
    *,
    attempt_no: int,
    window_started_at: datetime,
    now: datetime,
    rng: random.Random,
) -> Decision:
    code = answer.status_code
    if code is not None and 200 <= code < 300:
        return Decision(Outcome.DELIVERED, None)
    if code == 410:
        return Decision(Outcome.GONE, now)
    retry_after = None
    if code in (429, 503):
        retry_after = retry_after_seconds(answer.retry_after, now)
    if retry_after is not None:
        delay = min(retry_after, settings.retry_after_max_s)
    else:
        delay = backoff_seconds(settings, attempt_no, rng)
    when = now + timedelta(seconds=delay)
    if when > window_started_at + timedelta(seconds=settings.retry_horizon_s):
        return Decision(Outcome.DEAD, None, retry_after)
    return Decision(Outcome.RETRY, when, retry_after)
