"""Reading and running docs/production.md: its `# step:` shell blocks, the systemd unit they
write, and the local stand-ins the guide's test puts where a county has nginx and Kafka.

- `steps()` maps each step name to its shell block, as written in the guide.
- `run_step` runs one block with bash after the test's own `site` block (the only one a site
  edits), the way an operator pastes the site block and then the step into one root shell.
- `Unit` reads the template unit the `units` step writes and starts an instance of it as systemd
  would: its `EnvironmentFile`s, `WorkingDirectory` and `ExecStart` with `%i` expanded.
- `TlsProxy` terminates HTTPS for one upstream port, as nginx does in front of notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import signal
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "production.md"
_STEP = re.compile(r"```sh\n# step: ([a-z-]+)\n(.*?)```", flags=re.S)
_OWN_PREFIXES = ("HAZARD_API_", "ESCALATION_", "NOTIFICATION_", "DUBAN_", "UVICORN_")


def steps() -> dict[str, str]:
    return {name: body for name, body in _STEP.findall(GUIDE.read_text(encoding="utf-8"))}


def site_variables(block: str) -> list[str]:
    """The names the guide's site block assigns (one `NAME=value` per line)."""
    return re.findall(r"^([A-Z_]+)=", block, flags=re.M)


def site_block(values: Mapping[str, str]) -> str:
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items())


def clean_environment() -> dict[str, str]:
    """The test process's environment without any setting of ours (the guide sets them)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_OWN_PREFIXES) and k != "KAFKA_BOOTSTRAP_SERVERS"
    }


async def run_step(name: str, site: Mapping[str, str], stdin: str = "") -> str:
    """One step of the guide in `bash -euo pipefail`; fails the test with its output."""
    script = site_block(site) + steps()[name]
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        env=clean_environment(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode()), 300)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"step {name} failed ({proc.returncode}):\n{text}"
    return text


def read_environment_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile: `NAME=value` lines, a value optionally in single quotes."""
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f"{path}: {line!r}"
        if value.startswith("'"):
            assert value.endswith("'") and value.count("'") == 2, f"{path}: {line!r}"
            value = value[1:-1]
        env[name] = value
    return env


@dataclass
class Unit:
    """A systemd template unit (`name@.service`), instantiated by hand."""

    path: Path
    directives: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for line in self.path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.startswith(("#", "[")):
                self.directives.setdefault(key.strip(), []).append(value.strip())

    def one(self, key: str, instance: str) -> str:
        (value,) = self.directives[key]
        return value.replace("%i", instance)

    def environment(self, instance: str) -> dict[str, str]:
        env = clean_environment()
        for file in self.directives["EnvironmentFile"]:
            env.update(read_environment_file(Path(file.replace("%i", instance))))
        return env

    async def start(self, instance: str, extra_env: Mapping[str, str]) -> Service:
        proc = await asyncio.create_subprocess_exec(
            *shlex.split(self.one("ExecStart", instance)),
            cwd=self.one("WorkingDirectory", instance),
            env={**self.environment(instance), **extra_env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        service = Service(instance, proc)
        service.pump = asyncio.create_task(service.read())
        return service


@dataclass
class Service:
    name: str
    proc: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    pump: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.lines.append(line.decode(errors="replace").rstrip())

    async def stop(self) -> int:
        """SIGTERM, as `systemctl stop` sends it."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                os.killpg(self.proc.pid, signal.SIGKILL)
                await self.proc.wait()
        if self.pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.pump
        assert self.proc.returncode is not None
        return self.proc.returncode


class TlsProxy:
    """HTTPS on a local port, passed through as plain HTTP to one upstream port."""

    def __init__(self, context: ssl.SSLContext, upstream_port: int) -> None:
        self.context = context
        self.upstream_port = upstream_port
        self.server: asyncio.Server | None = None

    async def start(self, port: int) -> TlsProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port, ssl=self.context)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(ConnectionError, ssl.SSLError, RuntimeError):
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)


def venv_prefix() -> Path:
    """The virtualenv this test runs in: the guide's `$DUBAN_HOME/venv` points at it."""
    return Path(sys.prefix)
