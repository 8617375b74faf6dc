"""`duban run`: the whole stack on one machine, on embedded defaults.

Starts the tansu broker (unless `KAFKA_BOOTSTRAP_SERVERS` names one), creates the topics,
migrates each service's database (SQLite files under ./var/ by default), seeds the demo county
when the directory is empty, starts an SMTP sink (unless a real SMTP server is configured),
then hazard_api, escalation and notification as uvicorn processes, waits until every /readyz is
green and prints where to look. Ctrl-C (SIGINT) or SIGTERM stops everything in reverse order.
A service whose code is not there yet is reported and skipped, not fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from shared.broker import EmbeddedBroker
from shared.contract import ALL_TOPICS, dlq_topic


class RunSettings(BaseSettings):
    """Knobs of the runner itself (env prefix DUBAN_RUN_)."""

    model_config = SettingsConfigDict(env_prefix="DUBAN_RUN_", extra="ignore")

    var_dir: Path = Path("var")
    broker_host: str = "127.0.0.1"
    broker_port: int = 9092
    smtp_sink_host: str = "127.0.0.1"
    smtp_sink_port: int = 1025
    topic_partitions: int = Field(default=6, ge=1)
    ready_timeout_s: float = Field(default=60.0, gt=0)
    stop_timeout_s: float = Field(default=15.0, gt=0)
    seed_demo: bool = True


# Partitions per topic: the runner creates them on the embedded broker, the compose file's
# init container on Apache Kafka (tests/test_compose.py keeps the two in step).
def topic_partitions(partitions: int) -> dict[str, int]:
    topics = {topic: partitions for topic in ALL_TOPICS}
    topics.update({dlq_topic(topic): 1 for topic in ALL_TOPICS})
    return topics


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    extra_urls: Mapping[str, str] = field(default_factory=dict)

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    @property
    def factory(self) -> str:
        return f"{self.package}.main:create_app"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("hazard_api", "隐患与组织目录 API (hazard_api)"),
    ServiceSpec("escalation", "督办升级 (escalation)"),
    ServiceSpec("notification", "通知 (notification)", {"签收页面 (ack pages)": "/a/{token}"}),
)


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


def load_service(spec: ServiceSpec) -> LoadedService | str:
    """The service's settings, or why it cannot run (missing code, bad settings)."""
    for module in (spec.package, f"{spec.package}.main", f"{spec.package}.config"):
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return f"not built yet: {module} is missing"
    try:
        config = importlib.import_module(f"{spec.package}.config")
        settings = config.Settings()
    except ValidationError as exc:
        return f"invalid settings: {exc}"
    except Exception as exc:
        return f"cannot load its settings: {type(exc).__name__}: {exc}"
    pkg_dir = Path(importlib.import_module(spec.package).__file__ or "").parent
    migrations = pkg_dir / "migrations"
    return LoadedService(spec, settings, migrations if (migrations / "env.py").exists() else None)


def ensure_sqlite_dir(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def migrate(service: LoadedService) -> None:
    from shared.migrations import upgrade

    ensure_sqlite_dir(service.settings.database_url)
    if service.migrations_dir is None:
        say(f"{service.spec.name}: no migrations folder yet, nothing to migrate")
        return
    upgrade(service.settings.database_url, service.migrations_dir)
    say(f"{service.spec.name}: database at head ({redact(service.settings.database_url)})")


def redact(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


# ----------------------------------------------------------------------------- secrets
SECRET_PREFIXES = ("HAZARD_API_", "ESCALATION_", "NOTIFICATION_")


def development_secrets(env: dict[str, str], var_dir: Path) -> None:
    """In development, a service without a secret key gets one generated once per checkout
    (var/dev-secret-key): tokens and acknowledgement links survive a restart, and nobody signs
    with the public placeholder. Production keeps refusing to start without a real secret."""
    if env.get("DUBAN_ENV") != "development":
        return
    missing = [p for p in SECRET_PREFIXES if not env.get(f"{p}SECRET_KEY")]
    if not missing:
        return
    path = var_dir / "dev-secret-key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="ascii")
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    for prefix in missing:
        env[f"{prefix}SECRET_KEY"] = key


# ----------------------------------------------------------------------------- broker
async def ensure_topics(bootstrap_servers: str, partitions: Mapping[str, int]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, n, 1) for t, n in partitions.items() if t not in existing]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()


# ----------------------------------------------------------------------------- SMTP sink
class MailSink:
    """aiosmtpd handler: every message is written to <dir>/<n>.eml and announced in one line."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{time.monotonic_ns() % 10**9:09d}.eml"
        path.write_bytes(raw)
        message = message_from_bytes(raw, policy=default_policy)
        recipients = ", ".join(envelope.rcpt_tos)
        print(
            f"mail   | [EMAIL] to {recipients}: {message.get('Subject', '')} → {path}",
            flush=True,
        )
        return "250 Message accepted for delivery"


def start_mail_sink(host: str, port: int, directory: Path) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(MailSink(directory), hostname=host, port=port)
    controller.start()
    return controller


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


async def _pump(name: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        print(f"{name[:6]:<6} | {line.decode(errors='replace').rstrip()}", flush=True)


@dataclass
class Child:
    service: LoadedService
    proc: asyncio.subprocess.Process
    pump: asyncio.Task[None]


async def start_child(service: LoadedService, env: Mapping[str, str], log_config: Path) -> Child:
    s = service.settings
    proc = await asyncio.create_subprocess_exec(
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
    assert proc.stdout is not None
    return Child(service, proc, asyncio.create_task(_pump(service.spec.name, proc.stdout)))


async def wait_ready(children: Sequence[Child], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    pending = {c.service.spec.name: c for c in children}
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
            say(f"{child.service.spec.name}: did not stop in {within_s:.0f}s, killing it")
            with contextlib.suppress(ProcessLookupError):
                child.proc.kill()
            await child.proc.wait()
    with contextlib.suppress(asyncio.CancelledError):
        await child.pump


# ----------------------------------------------------------------------------- seeding
async def seed_demo(env: Mapping[str, str]) -> None:
    """`duban seed-demo --if-empty`: the demo county, unless the directory already has units."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "seed-demo",
        "--if-empty",
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    await _pump("seed", proc.stdout)
    if await proc.wait() != 0:
        raise RunError(f"seeding the demo county failed (exit code {proc.returncode})")


# ----------------------------------------------------------------------------- the banner
def banner(
    children: Sequence[Child],
    skipped: Mapping[str, str],
    *,
    broker: str,
    embedded_broker: bool,
    mail: str,
    sms: str,
) -> str:
    lines = ["", "Duban 督办 is running. 服务已启动。", ""]
    for child in children:
        base = child.service.base_url
        lines.append(f"  {child.service.spec.title}")
        lines.append(f"      API docs      {base}/docs")
        lines.append(f"      health        {base}/readyz   metrics {base}/metrics")
        for label, path in child.service.spec.extra_urls.items():
            lines.append(f"      {label}  {base}{path}  (the link is in every text and email)")
    for name, why in skipped.items():
        lines.append(f"  {name}: NOT RUNNING — {why}")
    kind = "embedded tansu, in memory" if embedded_broker else "external"
    lines += [
        "",
        f"  Broker        {broker} ({kind})",
        f"  Texts (SMS)   {sms}",
        f"  Emails        {mail}",
        "",
        "  Walkthrough: README.md → 'Walkthrough' (copy-paste curl calls).",
        "  Ctrl-C stops everything; the data stays in ./var for the next run.",
        "",
    ]
    return "\n".join(lines)


def sms_description(notification: LoadedService | None) -> str:
    if notification is None:
        return "notification service not running"
    kinds = [p.kind for p in getattr(notification.settings, "sms_providers", [])]
    if kinds and all(k == "console" for k in kinds):
        return "printed below by the notification service (lines 'notifi | [SMS] …')"
    return "sent through the configured providers: " + ", ".join(kinds or ["none"])


# ----------------------------------------------------------------------------- main
async def run_stack(settings: RunSettings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    development_secrets(env, settings.var_dir)
    broker: EmbeddedBroker | None = None
    mail_controller: Any = None
    children: list[Child] = []
    try:
        # 1. broker
        bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS", "")
        if not bootstrap:
            broker = EmbeddedBroker(
                port=settings.broker_port, host=settings.broker_host, new_session=True
            )
            if port_in_use(settings.broker_host, settings.broker_port):
                raise RunError(
                    f"port {settings.broker_port} is taken (another `duban run`?); stop it, or set "
                    "DUBAN_RUN_BROKER_PORT, or KAFKA_BOOTSTRAP_SERVERS for an existing broker"
                )
            await asyncio.to_thread(broker.start)
            bootstrap = broker.bootstrap_servers
            env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
            # Make the choice visible to the settings read in this process, too.
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        say(f"broker: {bootstrap}{' (embedded tansu)' if broker else ''}")
        await ensure_topics(bootstrap, topic_partitions(settings.topic_partitions))

        # 2. which services are there, and their settings
        loaded: list[LoadedService] = []
        skipped: dict[str, str] = {}
        for spec in SERVICES:
            result = load_service(spec)
            if isinstance(result, str):
                skipped[spec.name] = result
                say(f"{spec.name}: {result}")
            else:
                loaded.append(result)
        by_name = {s.spec.name: s for s in loaded}

        # 3. databases
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        for service in loaded:
            await asyncio.to_thread(migrate, service)
        if settings.seed_demo and "hazard_api" in by_name:
            await seed_demo(env)

        # 4. sinks
        mail = "no notification service, no email"
        notification = by_name.get("notification")
        if notification is not None:
            ns = notification.settings
            if "NOTIFICATION_SMTP_HOST" in env or "NOTIFICATION_SMTP_PORT" in env:
                mail = f"sent to the configured SMTP server {ns.smtp_host}:{ns.smtp_port}"
            else:
                mail_dir = settings.var_dir / "mail"
                mail_controller = start_mail_sink(
                    settings.smtp_sink_host, settings.smtp_sink_port, mail_dir
                )
                env["NOTIFICATION_SMTP_HOST"] = settings.smtp_sink_host
                env["NOTIFICATION_SMTP_PORT"] = str(settings.smtp_sink_port)
                mail = (
                    f"SMTP sink {settings.smtp_sink_host}:{settings.smtp_sink_port} writes each "
                    f"to {mail_dir}/*.eml and prints a line 'mail   | [EMAIL] …'"
                )

        # 5. services
        log_config = write_logging_config(settings.var_dir)
        for service in loaded:
            children.append(await start_child(service, env, log_config))
        ready = asyncio.create_task(wait_ready(children, settings.ready_timeout_s))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            ready.cancel()
            say("stopping before the stack was ready")
            return 0
        stopped.cancel()
        ready.result()
        print(
            banner(
                children,
                skipped,
                broker=bootstrap,
                embedded_broker=broker is not None,
                mail=mail,
                sms=sms_description(notification),
            ),
            flush=True,
        )

        # 6. until Ctrl-C, or a service dies
        exits = [asyncio.create_task(c.proc.wait()) for c in children]
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({waiter, *exits}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiter, *exits):
            task.cancel()
        for child in children:
            if child.proc.returncode is not None:
                raise RunError(f"{child.service.spec.name} exited (code {child.proc.returncode})")
        say("stopping (Ctrl-C) …")
        return 0
    except RunError as exc:
        say(f"ERROR: {exc}")
        return 1
    finally:
        for child in reversed(children):
            await stop_child(child, settings.stop_timeout_s)
            say(f"{child.service.spec.name}: stopped")
        if mail_controller is not None:
            mail_controller.stop()
        if broker is not None:
            await asyncio.to_thread(broker.stop)
            say("broker: stopped")
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def main() -> int:
    settings = RunSettings()
    return asyncio.run(run_stack(settings))
