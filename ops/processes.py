"""The processes `duban run` supervises: what a service is, starting, readiness, stopping."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    extra_urls: Mapping[str, str] = field(default_factory=dict)
    keeps_data: bool = True  # has a database to migrate (the portal keeps none)

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    @property
    def factory(self) -> str:
        return f"{self.package}.main:create_app"


class RunError(Exception):
    """A reason the stack cannot start, said plainly."""


def say(line: str) -> None:
    print(f"duban  | {line}", flush=True)


# ----------------------------------------------------------------------------- services
@dataclass
class LoadedService:
    spec: ServiceSpec
    settings: Any
    migrations_dir: Path | None

    @property
    def base_url(self) -> str:
        host = self.settings.http_host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.settings.http_port}"


# ----------------------------------------------------------------------------- processes
# The services log through `logging`; uvicorn only configures its own loggers, so without this
# the console SMS provider's INFO lines ("SMS to …") would never show.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)-7s %(name)s: %(message)s"}},
    "handlers": {
        "out": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "INFO", "handlers": ["out"]},
    "loggers": {
        "uvicorn": {"level": "INFO", "handlers": ["out"], "propagate": False},
        "uvicorn.access": {"level": "WARNING"},
        "aiokafka": {"level": "WARNING"},
        "alembic": {"level": "WARNING"},
    },
}


def write_logging_config(var_dir: Path) -> Path:
    path = var_dir / "logging.json"
    path.write_text(json.dumps(LOGGING, indent=1), encoding="utf-8")
    return path


def _die_with_parent() -> None:
    """Children must not outlive a runner that was killed outright (Linux only)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def pump_lines(name: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        print(f"{name[:6]:<6} | {line.decode(errors='replace').rstrip()}", flush=True)


# Starts one process of a child (the first time and after each death); its stdout is piped.
Spawn = Callable[[], Awaitable[asyncio.subprocess.Process]]


@dataclass
class Child:
    service: LoadedService
    spawn: Spawn
    proc: asyncio.subprocess.Process
    pump: asyncio.Task[None]
    started_at: float

    @property
    def name(self) -> str:
        return self.service.spec.name


async def launch(service: LoadedService, spawn: Spawn) -> Child:
    started_at = time.monotonic()
    proc = await spawn()
    return Child(service, spawn, proc, _pump(service.spec.name, proc), started_at)


async def respawn(child: Child) -> None:
    child.started_at = time.monotonic()
    child.proc = await child.spawn()
    child.pump = _pump(child.name, child.proc)


def _pump(name: str, proc: asyncio.subprocess.Process) -> asyncio.Task[None]:
    assert proc.stdout is not None
    return asyncio.create_task(pump_lines(name, proc.stdout))


async def start_child(service: LoadedService, env: Mapping[str, str], log_config: Path) -> Child:
    return await launch(service, functools.partial(spawn_uvicorn, service, env, log_config))


async def spawn_uvicorn(
    service: LoadedService, env: Mapping[str, str], log_config: Path
) -> asyncio.subprocess.Process:
    s = service.settings
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        service.spec.factory,
        "--host",
        str(s.http_host),
        "--port",
        str(s.http_port),
        "--no-access-log",
        "--log-config",
        str(log_config),
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        # Ctrl-C reaches only the runner, which stops the children once, in order.
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


async def wait_ready(children: Sequence[Child], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    pending = {c.name: c for c in children}
    async with httpx.AsyncClient(timeout=2.0) as client:
        while pending:
            for name, child in list(pending.items()):
                if child.proc.returncode is not None:
                    code = child.proc.returncode
                    raise RunError(f"{name} exited with code {code} while starting")
                with contextlib.suppress(httpx.HTTPError):
                    r = await client.get(child.service.base_url + "/readyz")
                    if r.status_code == 200:
                        say(f"{name}: ready at {child.service.base_url}")
                        del pending[name]
                        continue
            if time.monotonic() > deadline:
                raise RunError(f"not ready after {within_s:.0f}s: {', '.join(sorted(pending))}")
            await asyncio.sleep(0.25)


async def stop_child(child: Child, within_s: float) -> None:
    if child.proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            child.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.proc.wait(), within_s)
        except TimeoutError:
            say(f"{child.name}: did not stop in {within_s:.0f}s, killing it")
            with contextlib.suppress(ProcessLookupError):
                child.proc.kill()
            await child.proc.wait()
    with contextlib.suppress(asyncio.CancelledError):
        await child.pump


# ----------------------------------------------------------------------------- supervision
@dataclass(frozen=True)
class RestartPolicy:
    """How `duban run` treats a child that dies: restart it after a growing pause; a child that
    fails `max_failures` times in a row (each within `healthy_after_s` of its start) stops the
    stack, because restarting it again would only hide the fault."""

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_failures: int = 5
    healthy_after_s: float = 60.0

    def delay(self, failures: int) -> float:
        """The pause before restarting after the `failures`-th failure in a row (1, 2, 4 … s)."""
        return float(min(self.first_delay_s * 2 ** (failures - 1), self.max_delay_s))


async def supervise(children: Sequence[Child], policy: RestartPolicy) -> None:
    """Runs until a child keeps failing (RunError); cancelled when the stack stops.

    When one child gives up, the others stop being supervised before the error propagates:
    otherwise the stack's shutdown, which stops them, would see them die and restart them.
    """
    tasks = [asyncio.create_task(keep_running(child, policy)) for child in children]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()


async def keep_running(child: Child, policy: RestartPolicy) -> None:
    failures = 0
    while True:
        code = await child.proc.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await child.pump
        lived = time.monotonic() - child.started_at
        failures = 1 if lived >= policy.healthy_after_s else failures + 1
        if failures >= policy.max_failures:
            raise RunError(
                f"{child.name} exited {failures} times in a row (last code {code}), giving up"
            )
        delay = policy.delay(failures)
        say(f"{child.name} exited (code {code}); restarting in {delay:g}s (failure {failures})")
        await asyncio.sleep(delay)
        await respawn(child)
        say(f"{child.name}: restarted (pid {child.proc.pid})")
