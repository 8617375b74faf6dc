"""When a delivery that failed for a passing reason is tried again, and when it stops.

The schedule lives in the delivery log (`next_attempt_at`), so a restarted worker picks it
up where the last one left it. Waits double from `retry_backoff_s` up to
`retry_backoff_max_s`; each is shortened by a random fraction up to `retry_jitter`, so the
texts held up by one outage do not all hit the provider again in the same second when it
recovers. Nothing is tried after `retry_horizon_s` from when the delivery was planned.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from prometheus_client import Counter

from services.notification.config import Settings
from services.notification.delivery.models import Delivery

FAILED_FOR_GOOD = Counter(
    "notification_deliveries_failed_total",
    "Deliveries that reached their terminal failed state (permanent error or retry horizon)",
    labelnames=("channel",),
)
for _channel in ("sms", "email"):  # exported as 0 before the first failure
    FAILED_FOR_GOOD.labels(_channel)


class RetryPolicy:
    def __init__(self, settings: Settings, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.rng = rng or random.Random()

    @property
    def horizon(self) -> timedelta:
        return timedelta(seconds=self.settings.retry_horizon_s)

    def deadline(self, delivery: Delivery) -> datetime:
        return delivery.created_at + self.horizon

    def expired(self, delivery: Delivery, now: datetime) -> bool:
        return now >= self.deadline(delivery)

    def backoff(self, attempt: int) -> timedelta:
        """The wait after the attempt-th try, without jitter (also paces status queries)."""
        exponent = min(max(0, attempt - 1), 32)  # 2**32 × any base is past every cap
        seconds = self.settings.retry_backoff_s * 2**exponent
        return timedelta(seconds=min(seconds, self.settings.retry_backoff_max_s))

    def next_at(self, delivery: Delivery, now: datetime) -> datetime:
        """When to try again after a transient failure: never past the horizon, so the
        last try falls on it and its failure is final."""
        wait = self.backoff(delivery.attempts) * (
            1 - self.settings.retry_jitter * self.rng.random()
        )
        return min(now + wait, self.deadline(delivery))

    def horizon_label(self) -> str:
        """The horizon in words, for the reason a delivery failed for good."""
        seconds = int(self.settings.retry_horizon_s)
        if seconds % 3600 == 0:
            return f"{seconds // 3600}小时"
        if seconds % 60 == 0:
            return f"{seconds // 60}分钟"
        return f"{seconds}秒"
