"""Schema-driven fuzzing (schemathesis): no request the schema allows ends in a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import Login

EXAMPLES_PER_OPERATION = 25
DIRECTORY_PATHS = ("/units", "/people", "/posts", "/auth", "/users", "/healthz")


def _cases(strategy: st.SearchStrategy[Any]) -> list[Any]:
    drawn: list[Any] = []

    @given(strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Any) -> None:
        drawn.append(case)

    collect()
    return drawn


async def test_no_generated_request_answers_5xx(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    schema = schemathesis.openapi.from_dict(app.openapi())
    office = await login("office")
    township = await login("daping")
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        # The directory's and accounts' endpoints (the lifecycle has its own fuzz test).
        if not operation.path.startswith(DIRECTORY_PATHS):
            continue
        for i, case in enumerate(_cases(operation.as_strategy())):
            kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
            headers = {**kwargs.get("headers", {}), **(office if i % 2 else township)}
            response = await client.request(
                kwargs["method"],
                kwargs["url"],
                params=kwargs.get("params"),
                headers=headers,
                json=kwargs.get("json"),
                data=kwargs.get("data"),
                content=kwargs.get("content"),
            )
            if response.status_code >= 500:
                failures.append(f"{case.as_curl_command()} -> {response.status_code}")
    assert failures == []
