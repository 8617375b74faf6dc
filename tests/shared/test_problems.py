"""One documented error body, security headers on every answer, in every service."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from shared.clock import TestClock
from shared.problems import ErrorBody
from tests.shared.apidocs_apps import service_apps


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")


async def test_every_error_status_is_documented_with_the_body_served(
    tmp_path: Path, clock: TestClock
) -> None:
    for name, app in service_apps(tmp_path, clock).items():
        schema = app.openapi()
        assert "HTTPValidationError" not in schema["components"]["schemas"], name
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                responses = operation["responses"]
                errors = {s for s in responses if s.startswith("4")}
                # What the route's shape lets it answer is documented: bad input everywhere
                # it takes any, a missing resource where the path names one, auth where a
                # token is needed.
                if operation.get("parameters") or "requestBody" in operation:
                    assert "422" in errors, (name, method, path)
                if any(p["in"] == "path" for p in operation.get("parameters", [])):
                    assert "404" in errors, (name, method, path)
                if operation.get("security"):
                    assert {"401", "403"} <= errors, (name, method, path)
                if operation.get("security") or "requestBody" in operation:
                    # The database down or too slow (shared/errors.py): try again later.
                    assert "Retry-After" in responses["503"]["headers"], (name, method, path)
                    errors.add("503")
                elif path == "/readyz":  # its own 503 says which check failed
                    assert "ErrorBody" not in str(responses["503"]["content"]), name
                for status in errors:
                    content = responses[status]["content"]
                    if "text/html" not in content:
                        ref = content["application/json"]["schema"]["$ref"]
                        assert ref == "#/components/schemas/ErrorBody", (name, path, status)

    # What is served matches: a 422 of each service, a 401 and a 404 of the framework itself.
    for name, app in service_apps(tmp_path, clock).items():
        async with _client(app) as client:
            answers = [
                await client.get("/no-such-page"),
                await client.post("/metrics"),
            ]
            if name == "notification":
                answers.append(await client.put("/preferences/p-1", json={"channels": []}))
                answers.append(await client.get("/deliveries"))
            elif name == "hazard_api":
                answers.append(await client.post("/hazards", json={"source": "x"}))
            for answer in answers:
                assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
                # The body documented as ErrorBody (the schema is that model's).
                assert set(answer.json()) <= set(ErrorBody.model_fields), answer.json()
                ErrorBody.model_validate(answer.json(), strict=True)
                assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.json()["detail"]), answer
            assert answers[0].json()["detail"] == "没有这个接口"
            assert answers[1].status_code == 405 and answers[1].headers["allow"] == "GET"


async def test_unreadable_body_is_a_422_not_an_undocumented_400(
    tmp_path: Path, clock: TestClock
) -> None:
    app = service_apps(tmp_path, clock)["escalation"]
    async with _client(app) as client:
        answer = await client.post(
            "/simulate", content=b"\xff\xfe{", headers={"content-type": "application/json"}
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == "请求参数有误"


async def test_pages_get_a_policy_and_nothing_is_sniffed(tmp_path: Path, clock: TestClock) -> None:
    for name, app in service_apps(tmp_path, clock).items():
        async with _client(app) as client:
            for path in ("/docs", "/redoc"):
                page = await client.get(path)
                policy = page.headers["content-security-policy"]
                assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
                assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
                assert page.headers["x-frame-options"] == "DENY"
                assert page.headers["x-content-type-options"] == "nosniff"
            for path in ("/openapi.json", "/healthz", "/no-such-page"):
                answer = await client.get(path)
                assert answer.headers["x-content-type-options"] == "nosniff", (name, path)
                assert "content-security-policy" not in answer.headers
        if name == "notification":
            async with _client(app) as client:
                ack = await client.get("/a/not-a-valid-token")
            assert ack.status_code == 400 and ack.headers["content-type"].startswith("text/html")
            assert "frame-ancestors 'none'" in ack.headers["content-security-policy"]
            assert ack.headers["referrer-policy"] == "no-referrer"
