"""The portal's client of the services (aiohttp) against a served app: what it sends (query,
form, multipart with a Chinese file name, JSON, the user's token) and how it reads each kind of
answer (the API's Chinese message, a refused token, a 5xx, nobody listening)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from services.portal.main import create_app
from services.portal.session import COOKIE, PageSession, encode, new_csrf
from services.portal.upstream import SignedOut, Unavailable, Upstream, UpstreamError
from shared.clock import TestClock
from tests.portal.conftest import PORTAL_SECRET, portal_settings
from tests.serving import serving


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, Any]:
        seen: dict[str, Any] = {
            "method": request.method,
            "query": request.query_params.multi_items(),
            "authorization": request.headers.get("authorization"),
            "content_type": request.headers.get("content-type", "").split(";")[0],
        }
        if seen["content_type"] == "application/json":
            seen["json"] = await request.json()
        elif request.method == "POST":
            form = await request.form()
            seen["form"] = {
                k: {"filename": v.filename, "type": v.content_type, "bytes": len(await v.read())}
                if isinstance(v, UploadFile)
                else v
                for k, v in form.items()
            }
        return seen

    @app.get("/status/{code}")
    async def status(code: int) -> JSONResponse:
        return JSONResponse({"detail": "隐患不存在或不在您的管辖范围内"}, status_code=code)

    return app


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with serving(echo_app()) as url:
        client = Upstream(portal_settings(hazard_api_url=url))
        yield client
        await client.aclose()


async def test_a_query_goes_with_the_users_token_and_booleans_as_the_api_reads_them(
    upstream: Upstream,
) -> None:
    seen = await upstream.call(
        "hazard_api", "GET", "/echo", token="tok", params=[("q", "消防 通道&1"), ("open", True)]
    )
    assert seen["query"] == [["q", "消防 通道&1"], ["open", "true"]]
    assert seen["authorization"] == "Bearer tok"
    anonymous = await upstream.call("hazard_api", "GET", "/echo", token=None)
    assert anonymous["authorization"] is None


async def test_json_and_form_bodies(upstream: Upstream) -> None:
    sent = await upstream.call("hazard_api", "POST", "/echo", token="t", json={"意见": "合格"})
    assert (sent["content_type"], sent["json"]) == ("application/json", {"意见": "合格"})
    form = await upstream.call("hazard_api", "POST", "/echo", token="t", data={"user": "大坪"})
    assert form["content_type"] == "application/x-www-form-urlencoded"
    assert form["form"] == {"user": "大坪"}


async def test_a_file_keeps_its_chinese_name_and_a_name_cannot_add_a_header(
    upstream: Upstream,
) -> None:
    files = {"file": ("整改后 现场.png", b"\x89PNG....", "image/png")}
    seen = await upstream.call(
        "hazard_api", "POST", "/echo", token="t", files=files, data={"purpose": "整改后"}
    )
    assert seen["content_type"] == "multipart/form-data"
    assert seen["form"] == {
        "purpose": "整改后",
        "file": {"filename": "整改后 现场.png", "type": "image/png", "bytes": 8},
    }
    forged = {"file": ('a"\r\nContent-Type: text/html\r\n.png', b"x", "image/png")}
    seen = await upstream.call("hazard_api", "POST", "/echo", token="t", files=forged)
    assert seen["form"]["file"]["type"] == "image/png"
    assert seen["form"]["file"]["filename"] == "a%22%0D%0AContent-Type: text/html%0D%0A.png"


async def test_each_kind_of_answer(upstream: Upstream) -> None:
    with pytest.raises(UpstreamError) as refused:
        await upstream.call("hazard_api", "GET", "/status/404", token="t")
    assert (refused.value.status, refused.value.message) == (404, "隐患不存在或不在您的管辖范围内")
    with pytest.raises(SignedOut):
        await upstream.call("hazard_api", "GET", "/status/401", token="t")
    with pytest.raises(Unavailable) as failed:
        await upstream.call("hazard_api", "GET", "/status/502", token="t")
    # What the operator reads in the portal's log: which service, which call, what came back.
    assert "hazard_api" in str(failed.value) and "/status/502: HTTP 502" in str(failed.value)
    answer = await upstream.send("hazard_api", "GET", "/status/409", token="t")
    assert answer.status_code == 409 and answer.headers["content-type"] == "application/json"


async def test_a_service_nobody_listens_on_is_unavailable() -> None:
    client = Upstream(portal_settings(escalation_url="http://127.0.0.1:9"))
    try:
        with pytest.raises(Unavailable) as failed:
            await client.call("escalation", "GET", "/tasks", token="t")
        assert "escalation: GET /tasks: ClientConnectorError" in str(failed.value)
    finally:
        await client.aclose()


async def test_a_page_whose_service_is_down_says_so_and_the_log_says_why(
    clock: TestClock, caplog: pytest.LogCaptureFixture
) -> None:
    portal = create_app(portal_settings(hazard_api_url="http://127.0.0.1:9"), clock)
    session = PageSession(
        token="t",
        csrf=new_csrf(),
        username="office",
        role="county_office",
        unit_id="U",
        last_seen=clock.now().timestamp(),
    )
    transport = httpx.ASGITransport(app=portal)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as browser:
        browser.cookies.set(COOKIE, encode(session, PORTAL_SECRET), domain="portal.test")
        with caplog.at_level(logging.WARNING, logger="services.portal.main"):
            page = await browser.get("/hazards")
    await portal.state.upstream.aclose()
    assert page.status_code == 503 and "后台服务暂时无法访问" in page.text
    [record] = [r for r in caplog.records if r.name == "services.portal.main"]
    assert "GET /hazards: service unavailable: hazard_api: GET" in record.getMessage()
    assert "ClientConnectorError" in record.getMessage()
