"""Ops endpoints and 422 bodies that every service mounts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

import shared.consumer
import shared.outbox  # noqa: F401  (the metrics are registered at import)
from shared.clock import OffsetClock, SystemClock
from shared.db import make_engine
from shared.http import broker_check, database_check, install_error_handlers, ops_router
from shared.loops import loops_check, start_loop, stop_loop


class Unit(BaseModel):
    area_code: str = Field(pattern=r"^\d{6}$")


def make_app(checks: dict[str, object]) -> FastAPI:
    app = FastAPI()
    app.include_router(ops_router(checks))  # type: ignore[arg-type]
    install_error_handlers(app)

    @app.post("/units")
    async def create(unit: Unit) -> Unit:
        return unit

    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_readyz_reports_each_dependency(database_url: str, broker: str) -> None:
    engine = make_engine(database_url)
    try:
        app = make_app(
            {
                "database": database_check(engine),
                "broker": broker_check(broker),
                "smtp": broker_check("127.0.0.1:1"),  # nothing listens there
            }
        )
        async with client(app) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            ready = await http.get("/readyz")
    finally:
        await engine.dispose()
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False
    assert body["checks"]["database"] == body["checks"]["broker"] == "ok"
    assert body["checks"]["smtp"].startswith("unavailable")


async def test_metrics_expose_the_plumbing_counters() -> None:

    async with client(make_app({})) as http:
        text = (await http.get("/metrics")).text
    for name in (
        "duban_outbox_published_total",
        "duban_outbox_lag_seconds",
        "duban_consumer_handled_total",
        "duban_consumer_dead_lettered_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


async def test_bad_input_answers_422_naming_the_field_in_chinese() -> None:
    async with client(make_app({})) as http:
        bad_code = await http.post("/units", json={"area_code": "43062"})
        bad_json = await http.post(
            "/units", content=b"{oops", headers={"content-type": "application/json"}
        )
    assert bad_code.status_code == bad_json.status_code == 422
    error = bad_code.json()["errors"][0]
    assert (error["field"], error["message"]) == ("area_code", "格式不正确")
    assert bad_json.json()["errors"][0]["message"] == "请求体不是合法的 JSON"


async def test_healthz_says_whether_the_clock_can_be_moved(tmp_path: Path) -> None:
    offset_file = tmp_path / "clock-offset"
    for clock, expected in (
        (SystemClock(), {"movable": False, "offset_s": 0.0}),
        (OffsetClock(str(offset_file)), {"movable": True, "offset_s": 0.0}),
    ):
        app = FastAPI()
        app.include_router(ops_router({}, clock=clock))
        async with client(app) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok", "clock": expected}
    offset_file.write_text(str(31 * 86400))
    async with client(app) as http:
        assert (await http.get("/healthz")).json()["clock"] == {
            "movable": True,
            "offset_s": 31 * 86400.0,
        }


async def test_readyz_names_a_loop_that_died_and_not_one_stopped_on_purpose() -> None:
    async def crashes() -> None:
        raise OSError("the database went away outside the loop's try")

    async def runs() -> None:
        await asyncio.Event().wait()

    app = make_app({"loops": loops_check})
    stopped = start_loop(runs(), name="relay-stopped")
    alive = start_loop(runs(), name="relay-alive")
    stopped.cancel()
    async with client(app) as http:
        assert (await http.get("/readyz")).status_code == 200
        dead = start_loop(crashes(), name="escalation-scheduler")
        with contextlib.suppress(OSError):
            await dead
        ready = await http.get("/readyz")
        # Its owner stopping it on purpose (an app's shutdown): not raised again, forgotten
        # (the same process's next app, as in tests, starts ready).
        await stop_loop(dead)
        after = await http.get("/readyz")
    await stop_loop(alive)
    assert ready.status_code == 503
    assert ready.json()["checks"]["loops"] == (
        "unavailable: 后台任务已停止：escalation-scheduler（OSError）"
    )
    assert after.status_code == 200, after.json()


async def test_a_loop_that_dies_is_logged_with_its_traceback_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def crashes() -> None:
        raise OSError("outside the loop's try")

    with caplog.at_level(logging.ERROR, logger="shared.loops"):
        dead = start_loop(crashes(), name="repair-hazards")
        await asyncio.wait({dead})
        await asyncio.sleep(0)  # done callbacks run on the next turn of the event loop
        logged = [r for r in caplog.records if r.name == "shared.loops"]
        await stop_loop(dead)
    assert [r.getMessage() for r in logged] == [
        'loop repair-hazards died: OSError("outside the loop\'s try")'
    ]
    assert logged[0].exc_info is not None and logged[0].exc_info[0] is OSError


async def test_stopping_a_loop_gives_it_its_grace_and_leaves_a_callers_cancel_alone() -> None:
    finished: list[str] = []
    told = asyncio.Event()

    async def winds_down() -> None:
        await told.wait()
        await asyncio.sleep(0.01)
        finished.append("wound down")

    graceful = start_loop(winds_down(), name="relay-graceful")
    told.set()
    await stop_loop(graceful, grace=30)
    assert finished == ["wound down"] and not graceful.cancelled()

    async def forever() -> None:
        await asyncio.Event().wait()

    stuck = start_loop(forever(), name="consumer-stuck")
    stopping = asyncio.create_task(stop_loop(stuck, grace=30))
    await asyncio.sleep(0.01)
    stopping.cancel()  # the service's own shutdown is cancelled meanwhile
    with pytest.raises(asyncio.CancelledError):
        await stopping
    await asyncio.wait({stuck})  # the loop is not left running, untracked
    assert stuck.cancelled()
