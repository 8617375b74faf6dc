"""Per-number caps at each SMS provider: the same content once per interval, N a day."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from services.notification.providers.base import SmsProvider
from shared.clock import SHANGHAI, local

# A text every provider's cap refuses for this number goes by email instead; the delivery ends
# `failed` with this reason (a redirect, not a failure: ops/chaos checks the email arrived).
REDIRECTED_TO_EMAIL = "短信已达频次上限，改为邮件发送"


class CapTracker:
    """Today's counted sends per (provider, number), seeded from the delivery log."""

    def __init__(self, rows: list[tuple[str, str, str, datetime]]) -> None:
        self.count: dict[tuple[str, str], int] = defaultdict(int)
        self.last_same: dict[tuple[str, str, str], datetime] = {}
        for provider, address, content, at in rows:
            self.add(provider, address, content, at)

    def add(self, provider: str, address: str, content: str, at: datetime) -> None:
        self.count[(provider, address)] += 1
        key = (provider, address, content)
        if key not in self.last_same or self.last_same[key] < at:
            self.last_same[key] = at

    def free_at(
        self, provider: SmsProvider, address: str, content: str, now: datetime
    ) -> datetime | None:
        """None if a send is allowed now, else when it would be."""
        cfg = provider.config
        if self.count[(provider.name, address)] >= cfg.daily_cap:
            tomorrow = local(now).date() + timedelta(days=1)
            return datetime.combine(tomorrow, datetime.min.time(), tzinfo=SHANGHAI)
        last = self.last_same.get((provider.name, address, content))
        if last is not None and now - last < timedelta(seconds=cfg.same_content_interval_s):
            return last + timedelta(seconds=cfg.same_content_interval_s)
        return None
