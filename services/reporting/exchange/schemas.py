"""JSON Schema of every exchange document (filled in next)."""

from __future__ import annotations

from typing import Any

SCHEMAS: dict[tuple[str, int], dict[str, Any]] = {}
