"""Prometheus metrics per endpoint, read from the ledger at scrape time (filled in next)."""

from __future__ import annotations

from typing import Any


class LedgerCollector:
    @classmethod
    def install(cls, runtime: Any) -> None:
        return None
