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
import importlib
import importlib.util
import os
import secrets
import signal
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from services.mailsink import start_mail_sink
from services.processes import (
    Child,
    LoadedService,
    RunError,
    ServiceSpec,
    pump_lines,
    say,
    start_child,
    stop_child,
    wait_ready,
    write_logging_config,
)
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


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("hazard_api", "隐患与组织目录 API (hazard_api)"),
    ServiceSpec("escalation", "督办升级 (escalation)"),
    ServiceSpec("notification", "通知 (notification)", {"签收页面 (ack pages)": "/a/{token}"}),
)


# ----------------------------------------------------------------------------- services
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
    await pump_lines("seed", proc.stdout)
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
