"""The notification API's OpenAPI links: from what was sent to a person, to their settings."""

from __future__ import annotations

from shared.openapi_links import Link

PERSON = "/preferences/{person_id}"
FIRST_PERSON = {"person_id": "$response.body#/0/person_id"}
SAME_PERSON = {"person_id": "$response.body#/person_id"}

NOTIFICATION_LINKS: list[Link] = [
    Link("Preferences", "GET /deliveries", 200, f"GET {PERSON}", FIRST_PERSON),
    Link("SetPreferences", "GET /deliveries", 200, f"PUT {PERSON}", FIRST_PERSON),
    Link("Read", f"PUT {PERSON}", 200, f"GET {PERSON}", SAME_PERSON),
    Link("Deliveries", f"GET {PERSON}", 200, "GET /deliveries", SAME_PERSON),
]
