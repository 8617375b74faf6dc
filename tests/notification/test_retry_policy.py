"""The retry schedule's arithmetic: doubling waits, capped, shortened by jitter, never past
the horizon."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from services.notification.delivery.models import Delivery
from services.notification.delivery.retry import RetryPolicy
from tests.notification.settings import make_settings

T0 = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)


def policy(**overrides: Any) -> RetryPolicy:
    settings = make_settings("sqlite+aiosqlite://", 25, retry_backoff_s=10, **overrides)
    return RetryPolicy(settings, random.Random(17))


def delivery(attempts: int) -> Delivery:
    return cast(Delivery, SimpleNamespace(attempts=attempts, created_at=T0))


def test_waits_double_up_to_the_cap() -> None:
    p = policy(retry_backoff_max_s=300)
    waits = [p.backoff(n).total_seconds() for n in range(1, 9)]
    assert waits == [10, 20, 40, 80, 160, 300, 300, 300]
    assert p.backoff(10_000) == timedelta(seconds=300)  # no overflow after a day of tries


def test_jitter_only_shortens_and_spreads_the_waits() -> None:
    p = policy(retry_backoff_max_s=300, retry_jitter=0.2)
    now = T0 + timedelta(minutes=5)
    waits = {(p.next_at(delivery(3), now) - now).total_seconds() for _ in range(50)}
    assert all(32 <= w <= 40 for w in waits)
    assert len(waits) > 10
    assert policy(retry_jitter=0).next_at(delivery(3), now) == now + timedelta(seconds=40)


def test_the_last_try_falls_on_the_horizon_and_then_it_is_over() -> None:
    p = policy(retry_horizon_s=3600, retry_backoff_max_s=600, retry_jitter=0)
    late = T0 + timedelta(minutes=55)
    assert p.next_at(delivery(20), late) == T0 + timedelta(hours=1)
    assert not p.expired(delivery(20), late)
    assert p.expired(delivery(21), T0 + timedelta(hours=1))
    assert p.horizon_label() == "1小时"
    assert policy().horizon_label() == "24小时"
