"""The county's own limits (settings) written into the OpenAPI, so the schema a client reads is
the one this deployment enforces: the longest rectification deadline per level and listing."""

from __future__ import annotations

from typing import Any

from services.hazard_api.config import Settings


def _days(longest: int) -> dict[str, Any]:
    return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": longest}, {"type": "null"}]}


def write_county_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    components = schema.get("components", {}).get("schemas", {})
    longest = {
        "general": settings.general_deadline_max_days,
        "major": settings.major_deadline_max_days,
    }
    for name in ("ClassifyIn", "ReclassifyIn"):
        for branch in components.get(name, {}).get("anyOf", []):
            level = branch.get("properties", {}).get("level", {}).get("const")
            if level in longest:
                branch["properties"]["deadline_days"] = _days(longest[level])
    listing = components.get("ListingIn", {}).get("properties", {})
    if "deadline_days" in listing:
        listing["deadline_days"] = _days(settings.listing_deadline_max_days)
    return schema
