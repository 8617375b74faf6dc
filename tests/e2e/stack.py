"""The whole stack as `duban run` starts it, in a scratch directory, for tests and benches.

`Stack` runs `python -m ops.cli run` with its working directory in a temporary folder (so
`./var` is private), free ports for everything, and whatever environment the caller adds
(PostgreSQL URLs, an external broker, SMS providers, the clock offset file). It waits for the
banner that `duban run` prints once every /readyz is green and keeps all output lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.broker import free_port

READY_BANNER = "Duban 督办 is running"
_OWN_PREFIXES = (
    "HAZARD_API_",
    "ESCALATION_",
    "NOTIFICATION_",
    "PORTAL_",
    "REPORTING_",
    "PROVINCE_EMULATOR_",
    "DUBAN_",
)
# An outer `make test` must not lend its jobserver or level to a `make run` started here.
_NOT_PASSED_ON = {"KAFKA_BOOTSTRAP_SERVERS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}


@dataclass
class Stack:
    workdir: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    # Another way in (`make run` in a clone): it runs in its own process group, and `stop`
    # signals the whole group, as Ctrl-C in a terminal does (make only waits for its recipe).
    command: tuple[str, ...] | None = None
    lines: list[str] = field(default_factory=list)
    proc: asyncio.subprocess.Process | None = None
    _pump: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        for name in (
            "hazard_api",
            "escalation",
            "notification",
            "portal",
            "reporting",
            "province",
            "broker",
            "smtp",
        ):
            self.ports.setdefault(name, free_port())

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def mail_dir(self) -> Path:
        return self.workdir / "var" / "mail"

    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_OWN_PREFIXES) and k not in _NOT_PASSED_ON
        }
        env.update(
            {
                "DUBAN_ENV": "development",
                "PYTHONUNBUFFERED": "1",
                "HAZARD_API_HTTP_PORT": str(self.ports["hazard_api"]),
                "ESCALATION_HTTP_PORT": str(self.ports["escalation"]),
                "NOTIFICATION_HTTP_PORT": str(self.ports["notification"]),
                "NOTIFICATION_PUBLIC_BASE_URL": self.url("notification"),
                "PORTAL_HTTP_PORT": str(self.ports["portal"]),
                "REPORTING_HTTP_PORT": str(self.ports["reporting"]),
                "DUBAN_RUN_PROVINCE_EMULATOR_PORT": str(self.ports["province"]),
                "DUBAN_RUN_BROKER_PORT": str(self.ports["broker"]),
                "DUBAN_RUN_SMTP_SINK_PORT": str(self.ports["smtp"]),
            }
        )
        env.update(self.extra_env)
        return env

    async def start(self, within_s: float = 90.0) -> Stack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._ready = asyncio.Event()
        self.proc = await asyncio.create_subprocess_exec(
            *(self.command or (sys.executable, "-m", "ops.cli", "run")),
            cwd=self.workdir,
            env=self.environment(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=self.command is not None,
        )
        self._pump = asyncio.create_task(self._read())
        waiter = asyncio.create_task(self._ready.wait())
        exited = asyncio.create_task(self.proc.wait())
        done, _ = await asyncio.wait(
            {waiter, exited}, timeout=within_s, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        exited.cancel()
        if waiter not in done or not self._ready.is_set():
            await self.stop()
            raise RuntimeError(
                f"duban run did not come up within {within_s}s:\n" + "\n".join(self.lines[-80:])
            )
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            text = line.decode(errors="replace").rstrip()
            self.lines.append(text)
            if READY_BANNER in text:
                self._ready.set()

    async def stop(self, within_s: float = 60.0) -> int:
        """SIGINT, as Ctrl-C would; returns the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            if self.command is None:
                self.proc.send_signal(signal.SIGINT)
            else:
                os.killpg(self.proc.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), within_s)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        assert self.proc.returncode is not None
        return self.proc.returncode

    def output(self) -> str:
        return "\n".join(self.lines)

    def tracebacks(self) -> str:
        """Every traceback in the output with the lines that led to it; empty if none (a
        failing assertion shows these first: CI's log keeps only part of a long message)."""
        return tracebacks(self.lines)


def tracebacks(lines: list[str], before: int = 5, after: int = 40) -> str:
    shown = [
        "\n".join(lines[max(0, i - before) : i + after])
        for i, line in enumerate(lines)
        if "Traceback" in line
    ]
    return "\n…\n".join(shown)
