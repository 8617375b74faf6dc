"""A provincial reporting system, as far as the county's upward link can tell: for tests and
`duban run`.

It checks what a real receiver checks — the Standard Webhooks signature (any of its secrets,
so a rotation is accepted), the timestamp's age, the document against its JSON Schema and the
credit code's check digit — records every request, deduplicates by `webhook-id` (a repeat is
answered with the first receipt), and answers with a receipt number. `POST /_control` tells it
to fail: `{"mode": "500" | "429" | "503" | "410" | "timeout" | "late" | "ok", "retry_after":
"120", "secrets": [...]}`; `GET /_received` returns its record. Both ways of timing out hold
the request for `hang_s` (30 s, or until the mode changes): "timeout" never looks at it (a
gateway that hung); "late" accepts and records a new document first and only the answer is
late — the sender saw a timeout for a document the province has, and must send it again under
the same `webhook-id`, which is answered from the record at once (processing a new document
is the slow part).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import jsonschema_rs
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.reporting.exchange.schemas import load_all
from services.reporting.signing import SignatureError, verify
from shared.broker import free_port
from shared.clock import SystemClock
from shared.codes.national import credit_code_problem

PATH = "/webhooks/duban"


class Now(Protocol):
    """All the emulator needs of a clock (a service clock, or a test's file-based one)."""

    def now(self) -> datetime: ...


# jsonschema-rs rather than the pure-Python `jsonschema`: the same verdicts and messages in a
# few microseconds a document instead of about half a millisecond, which made the emulator,
# not the county's side, the limit of the reporting bench.
@functools.cache
def _validator(name: str, version: Any) -> jsonschema_rs.Draft202012Validator | None:
    schema = load_all().get((name, version))
    return None if schema is None else jsonschema_rs.Draft202012Validator(schema)


@dataclass
class Emulator:
    secrets: list[str]
    clock: Now = field(default_factory=SystemClock)
    mode: str = "ok"
    retry_after: str | None = "60"
    hang_s: float = 30.0
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # webhook-id → record
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request, as answered
    refused: list[dict[str, Any]] = field(default_factory=list)  # bad signature or document
    lock: threading.Lock = field(default_factory=threading.Lock)

    def problems(self, document: Any) -> list[str]:
        if not isinstance(document, dict):
            return ["不是 JSON 对象"]
        validator = _validator(str(document.get("document")), document.get("version"))
        if validator is None:
            return [f"未知文档 {document.get('document')} v{document.get('version')}"]
        found = [e.message for e in validator.iter_errors(document)]
        unit = (document.get("data") or {}).get("unit") or {}
        code = unit.get("credit_code")
        if code and (problem := credit_code_problem(code)):
            found.append(problem)
        return found

    def ordered(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.accepted.values())


async def receive(request: Request) -> Response:
    emu: Emulator = request.app.state.emulator
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    entry = {"webhook_id": headers.get("webhook-id"), "mode": emu.mode}
    with emu.lock:
        emu.requests.append(entry)
    mode = emu.mode
    if mode == "timeout":
        await _hold(emu, mode)
        return JSONResponse({"error": "timeout"}, status_code=504)
    if mode in ("500", "410"):
        return JSONResponse({"error": mode}, status_code=int(mode))
    if mode in ("429", "503"):
        retry = {"Retry-After": emu.retry_after} if emu.retry_after else {}
        return JSONResponse({"error": mode}, status_code=int(mode), headers=retry)
    now = int(emu.clock.now().timestamp())
    try:
        msg_id = verify(emu.secrets, headers, body, now=now)
    except SignatureError as exc:
        with emu.lock:
            emu.refused.append({"webhook_id": headers.get("webhook-id"), "reason": str(exc)})
        return JSONResponse({"error": str(exc)}, status_code=401)
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    problems = emu.problems(document)
    if problems:
        with emu.lock:
            emu.refused.append({"webhook_id": msg_id, "reason": "；".join(problems)})
        return JSONResponse({"error": "文档不符合交换格式", "problems": problems}, status_code=400)
    with emu.lock:
        record = emu.accepted.get(msg_id)
        fresh = record is None
        if record is None:
            record = {
                "webhook_id": msg_id,
                "receipt_no": f"SJ{len(emu.accepted) + 1:08d}",
                "document": document["document"],
                "item": document["item"],
                "data": document["data"],
                "signature": headers["webhook-signature"],
                "times": 0,
            }
            emu.accepted[msg_id] = record
        record["times"] += 1
    if mode == "late" and fresh:
        await _hold(emu, mode)
    return JSONResponse({"receipt_no": record["receipt_no"], "webhook_id": msg_id})


async def _hold(emu: Emulator, mode: str) -> None:
    """Keeps a request hanging for `hang_s`, or until the test moves on to another mode (so
    a held request does not outlive its phase of the story, nor hold up the server's stop)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + emu.hang_s
    # Polled: a test sets `mode` from its own thread, where no event of this loop can be set.
    while emu.mode == mode and loop.time() < until:  # noqa: ASYNC110
        await asyncio.sleep(0.1)


async def control(request: Request) -> JSONResponse:
    emu: Emulator = request.app.state.emulator
    if request.method == "POST":
        change = await request.json()
        emu.mode = str(change.get("mode", emu.mode))
        if "retry_after" in change:
            emu.retry_after = change["retry_after"]
        if "secrets" in change:
            emu.secrets = list(change["secrets"])
        if change.get("reset"):
            with emu.lock:
                emu.accepted.clear()
                emu.requests.clear()
                emu.refused.clear()
    return JSONResponse(
        {"mode": emu.mode, "received": len(emu.accepted), "requests": len(emu.requests)}
    )


async def received(request: Request) -> JSONResponse:
    emu: Emulator = request.app.state.emulator
    return JSONResponse({"accepted": emu.ordered(), "refused": list(emu.refused)})


def make_app(secrets: Sequence[str], clock: Now | None = None) -> Starlette:
    app = Starlette(
        routes=[
            Route(PATH, receive, methods=["POST"]),
            Route("/_control", control, methods=["GET", "POST"]),
            Route("/_received", received, methods=["GET"]),
        ]
    )
    app.state.emulator = Emulator(list(secrets), clock or SystemClock())
    return app


def app_from_env() -> Starlette:
    """`uvicorn --factory ops.province_emulator:app_from_env` (`duban run`, the bench): the
    secrets from PROVINCE_EMULATOR_SECRETS (space-separated)."""
    return make_app(os.environ.get("PROVINCE_EMULATOR_SECRETS", "").split())


@dataclass
class Running:
    emulator: Emulator
    url: str  # the webhook address to configure as REPORTING_PROVINCE_URL
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start(
    secrets: Sequence[str], *, clock: Now | None = None, host: str = "127.0.0.1", port: int = 0
) -> Running:
    """Runs the emulator under uvicorn in a thread of its own (a free port unless given)."""
    app = make_app(secrets, clock)
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True, name="province-emulator")
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        threading.Event().wait(0.01)
    return Running(app.state.emulator, f"http://{host}:{port}{PATH}", server, thread)


@contextlib.asynccontextmanager
async def serve(secrets: Sequence[str], *, clock: Now | None = None) -> AsyncIterator[Running]:
    running = await asyncio.to_thread(start, secrets, clock=clock)
    try:
        yield running
    finally:
        await asyncio.to_thread(running.stop)


DEMO_AREA_CODE = "430723"  # services/hazard_api/directory/demo_county.yaml
DEMO_SENDER = "演示县安委办"


def start_for_run(settings: Any, env: dict[str, str], port: int) -> Running | None:
    """`duban run`: outside production and without a configured provincial system, the
    emulator stands in, sharing the signing secrets with the reporting service (via `env`)."""
    if settings is None or settings.env == "production" or "REPORTING_PROVINCE_URL" in env:
        return None
    secrets = settings.current_secrets
    env.setdefault("REPORTING_SIGNING_SECRETS", " ".join(secrets))
    # The stack `duban run` seeds is the demo county: its documents go up under its code.
    env.setdefault("REPORTING_COUNTY_AREA_CODE", DEMO_AREA_CODE)
    env.setdefault("REPORTING_COUNTY_NAME", DEMO_SENDER)
    # `make demo` moves the services' time: the emulator judges a submission's timestamp by
    # the same clock, or it would refuse every one as months old.
    running = start(secrets, port=port, clock=settings.make_clock())
    env["REPORTING_PROVINCE_URL"] = running.url
    print(f"duban  | province emulator: {running.url} (its record: GET /_received)", flush=True)
    return running
