"""Every portal page's dependencies are coroutines: FastAPI runs a plain function dependency
in its thread pool, a hand-over to a thread and back on every page (on a loaded machine, the
portal's added latency over the API it calls; bench/portal.py)."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from services.portal.main import create_app
from tests.portal.conftest import portal_settings


def _sync_calls(dependant: Dependant) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        call = sub.call
        if call is not None and not (
            inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
        ):
            found.append(getattr(call, "__qualname__", repr(call)))
        found += _sync_calls(sub)
    return found


def _routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # An included router (FastAPI keeps it whole and matches into it).
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _routes(included.routes)


def test_no_page_goes_through_the_thread_pool() -> None:
    app = create_app(portal_settings())
    routes = list(_routes(app.routes))
    assert any(r.path == "/hazards" for r in routes)
    threaded = {
        r.path: calls
        for r in routes
        if (calls := _sync_calls(r.dependant)) or not inspect.iscoroutinefunction(r.endpoint)
    }
    assert threaded == {}


def test_templates_are_checked_on_disk_only_in_development() -> None:
    from services.portal.render import TEMPLATES

    create_app(portal_settings(env="development"))
    assert TEMPLATES.env.auto_reload
    create_app(portal_settings(env="production"))
    assert not TEMPLATES.env.auto_reload


def test_amounts_read_as_a_clerk_reads_them() -> None:
    from services.portal.render import TEMPLATES

    yuan = TEMPLATES.env.filters["yuan"]
    assert [yuan(v) for v in (None, 0, 9_999, 10_000, 1_234_567, 1_200_000)] == [
        "未报",
        "0元",
        "9999元",
        "10,000元（1万元）",
        "1,234,567元（123.46万元）",
        "1,200,000元（120万元）",
    ]
    assert yuan(None, "—") == "—"
