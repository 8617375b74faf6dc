"""The escalation API's OpenAPI links: an open task is closed, and its hazard's case read."""

from __future__ import annotations

from shared.openapi_links import Link

FIRST = "$response.body#/items/0"

ESCALATION_LINKS: list[Link] = [
    Link("Done", "GET /tasks", 200, "POST /tasks/{task_id}/done", {"task_id": f"{FIRST}/task_id"}),
    Link("Case", "GET /tasks", 200, "GET /cases/{hazard_id}", {"hazard_id": f"{FIRST}/hazard_id"}),
    Link(
        "Case",
        "POST /tasks/{task_id}/done",
        200,
        "GET /cases/{hazard_id}",
        {"hazard_id": "$response.body#/hazard_id"},
    ),
    # Closing it again is refused (409): a task is decided once.
    Link(
        "DoneAgain",
        "POST /tasks/{task_id}/done",
        200,
        "POST /tasks/{task_id}/done",
        {"task_id": "$response.body#/task_id"},
    ),
]
