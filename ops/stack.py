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
import os
import signal
import socket
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ops.banner import banner, clock_offset_description, sms_description
from ops.brokerwatch import watch_broker
from ops.mailsink import start_mail_sink
from ops.preparing import (
    demo_reporting_login,
    development_secrets,
    load_service,
    migrate,
    seed_demo,
)
from ops.processes import (
    Child,
    LoadedService,
    RestartPolicy,
    RunError,
    ServiceSpec,
    say,
    start_child,
    stop_child,
    supervise,
    wait_ready,
    write_logging_config,
)
from shared.broker import EmbeddedBroker, ensure_topics
from shared.contract import ALL_TOPICS, dlq_topic


class RunSettings(BaseSettings):
    """Knobs of the runner itself (env prefix DUBAN_RUN_)."""

    model_config = SettingsConfigDict(env_prefix="DUBAN_RUN_", extra="ignore")

    var_dir: Path = Path("var")
    broker_host: str = "127.0.0.1"
    broker_port: int = 9092
    smtp_sink_host: str = "127.0.0.1"
    smtp_sink_port: int = 1025
    province_emulator_port: int = 8090
    topic_partitions: int = Field(default=6, ge=1)
    ready_timeout_s: float = Field(default=60.0, gt=0)
    stop_timeout_s: float = Field(default=15.0, gt=0)
    seed_demo: bool = True
    restart_max_failures: int = Field(default=5, ge=1)

    @property
    def restart(self) -> RestartPolicy:
        return RestartPolicy(max_failures=self.restart_max_failures)


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
    ServiceSpec("portal", "部门门户 (portal)", keeps_data=False),
    ServiceSpec("reporting", "向省级系统上报 (reporting)", {"上报台账 (ledger)": "/submissions"}),
)


# ----------------------------------------------------------------------------- the steps
@dataclass
class Stack:
    """What `duban run` has started so far; each step adds to it, `stop` undoes it in reverse."""

    settings: RunSettings
    env: dict[str, str]
    broker: EmbeddedBroker | None = None
    bootstrap: str = ""
    loaded: list[LoadedService] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    mail_controller: Any = None
    mail: str = "no notification service, no email"
    province: Any = None
    children: list[Child] = field(default_factory=list)

    @property
    def by_name(self) -> dict[str, LoadedService]:
        return {s.spec.name: s for s in self.loaded}

    async def start_broker(self) -> None:
        self.bootstrap = self.env.get("KAFKA_BOOTSTRAP_SERVERS", "")
        if not self.bootstrap:
            host, port = self.settings.broker_host, self.settings.broker_port
            if port_in_use(host, port):
                raise RunError(
                    f"port {port} is taken (another `duban run`?); stop it, or set "
                    "DUBAN_RUN_BROKER_PORT, or KAFKA_BOOTSTRAP_SERVERS for an existing broker"
                )
            self.broker = EmbeddedBroker(port=port, host=host, new_session=True)
            await asyncio.to_thread(self.broker.start)
            self.bootstrap = self.broker.bootstrap_servers
            self.env["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
            # Make the choice visible to the settings read in this process, too.
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap
        say(f"broker: {self.bootstrap}{' (embedded tansu)' if self.broker else ''}")
        await ensure_topics(self.bootstrap, topic_partitions(self.settings.topic_partitions))

    def load_services(self) -> None:
        for spec in SERVICES:
            result = load_service(spec)
            if isinstance(result, str):
                self.skipped[spec.name] = result
                say(f"{spec.name}: {result}")
            else:
                self.loaded.append(result)

    async def prepare_databases(self) -> None:
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        for service in self.loaded:
            await asyncio.to_thread(migrate, service)
        hazard_api = self.by_name.get("hazard_api")
        if not self.settings.seed_demo or hazard_api is None:
            return
        if hazard_api.settings.env == "production":
            # The demo accounts share a public password: a real county starts from
            # `duban admin create` instead.
            say("production: no demo county (create the first administrator: duban admin create)")
            return
        await seed_demo(self.env)

    def start_mail_sink(self) -> None:
        notification = self.by_name.get("notification")
        if notification is None:
            return
        if "NOTIFICATION_SMTP_HOST" in self.env or "NOTIFICATION_SMTP_PORT" in self.env:
            ns = notification.settings
            self.mail = f"sent to the configured SMTP server {ns.smtp_host}:{ns.smtp_port}"
            return
        host, port = self.settings.smtp_sink_host, self.settings.smtp_sink_port
        mail_dir = self.settings.var_dir / "mail"
        self.mail_controller = start_mail_sink(host, port, mail_dir)
        self.env["NOTIFICATION_SMTP_HOST"] = host
        self.env["NOTIFICATION_SMTP_PORT"] = str(port)
        self.mail = (
            f"SMTP sink {host}:{port} writes each to {mail_dir}/*.eml "
            "and prints a line 'mail   | [EMAIL] …'"
        )

    def start_province_emulator(self) -> None:
        from ops.province_emulator import start_for_run

        reporting = self.by_name.get("reporting")
        port = self.settings.province_emulator_port
        self.province = start_for_run(reporting and reporting.settings, self.env, port)

    async def start_services(self) -> None:
        log_config = write_logging_config(self.settings.var_dir)
        for service in self.loaded:  # where the repair asks each producer for its outbox
            self.env.setdefault(f"DUBAN_{service.spec.name.upper()}_URL", service.base_url)
        for service in self.loaded:
            self.children.append(await start_child(service, self.env, log_config))

    def banner(self) -> str:
        return banner(
            self.children,
            self.skipped,
            broker=self.bootstrap,
            embedded_broker=self.broker is not None,
            mail=self.mail,
            sms=sms_description(self.by_name.get("notification")),
            clock_offset=clock_offset_description(self.env),
        )

    async def stop(self) -> None:
        for child in reversed(self.children):
            await stop_child(child, self.settings.stop_timeout_s)
            say(f"{child.name}: stopped")
        if self.mail_controller is not None:
            self.mail_controller.stop()
        if self.province is not None:
            await asyncio.to_thread(self.province.stop)
        if self.broker is not None:
            await asyncio.to_thread(self.broker.stop)
            say("broker: stopped")


async def first_of(*aws: Awaitable[Any]) -> None:
    """Wait for the first of `aws` to finish, cancel the rest and wait until they have let go
    (so a cancelled supervisor cannot restart a child the shutdown is stopping); the first's
    exception propagates."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()


async def run_stack(settings: RunSettings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    development_secrets(env, settings.var_dir)
    if settings.seed_demo:
        demo_reporting_login(env)
    stack = Stack(settings, env)
    try:
        await stack.start_broker()
        stack.load_services()
        await stack.prepare_databases()
        stack.start_mail_sink()
        stack.start_province_emulator()
        await stack.start_services()
        await first_of(wait_ready(stack.children, settings.ready_timeout_s), stop.wait())
        if stop.is_set():
            say("stopping before the stack was ready")
            return 0
        print(stack.banner(), flush=True)
        watched = [supervise(stack.children, settings.restart), stop.wait()]
        if stack.broker is not None:
            layout = topic_partitions(settings.topic_partitions)
            watched.append(watch_broker(stack.broker, layout, settings.restart))
        await first_of(*watched)
        say("stopping (Ctrl-C) …")
        return 0
    except RunError as exc:
        say(f"ERROR: {exc}")
        return 1
    finally:
        await stack.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def main() -> int:
    settings = RunSettings()
    return asyncio.run(run_stack(settings))
