"""OpenAPI links: how one operation's answer feeds the next (create → classify → rectify → …).

Clients read them to follow a resource's life; schemathesis follows them in its stateful run.
Each service keeps its table of `Link`s next to its routers; `install_links` adds them to the
service's OpenAPI when it is generated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI


@dataclass(frozen=True)
class Link:
    """`source` answered `status`; `target` takes `parameters` (runtime expressions)."""

    name: str
    source: str  # "POST /hazards"
    status: int
    target: str  # "POST /hazards/{hazard_id}/classify"
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: dict[str, Any] | None = None
    description: str = ""


def _operation(schema: dict[str, Any], key: str) -> dict[str, Any]:
    method, path = key.split(" ", 1)
    try:
        operation: dict[str, Any] = schema["paths"][path][method.lower()]
    except KeyError:
        raise LookupError(f"link names {key}, which the OpenAPI does not have") from None
    return operation


def add_links(schema: dict[str, Any], links: Sequence[Link]) -> dict[str, Any]:
    for link in links:
        source = _operation(schema, link.source)
        target = _operation(schema, link.target)
        response = source["responses"][str(link.status)]
        definition: dict[str, Any] = {"operationId": target["operationId"]}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.request_body is not None:
            definition["requestBody"] = link.request_body
        if link.description:
            definition["description"] = link.description
        response.setdefault("links", {})[link.name] = definition
    return schema


def extend_openapi(app: FastAPI, extend: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Run `extend` over the app's OpenAPI once, when it is first generated (routes are added
    after the app is made, so this cannot happen earlier)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = extend(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_links(app: FastAPI, links: Sequence[Link]) -> None:
    extend_openapi(app, lambda schema: add_links(schema, links))
