"""Pieces of `duban run` that can be checked in-process (the whole run is in tests/e2e)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import aiosmtplib
import pytest
from aiokafka import AIOKafkaProducer

from ops.banner import banner, clock_offset_description
from ops.brokerwatch import watch_broker
from ops.mailsink import start_mail_sink
from ops.preparing import development_secrets, load_service
from ops.processes import RestartPolicy, ServiceSpec
from ops.stack import topic_partitions
from shared.broker import EmbeddedBroker, ensure_topics, free_port, topic_layout
from shared.contract import ALL_TOPICS


async def test_mail_sink_keeps_each_message_and_announces_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    sink = start_mail_sink("127.0.0.1", port, tmp_path / "mail")
    try:
        message = EmailMessage()
        message["From"] = "duban@localhost"
        message["To"] = "leader@example.cn"
        message["Subject"] = "隐患逾期提醒：王家厂镇某烟花厂"
        message.set_content("请于期限内完成整改。")
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
    finally:
        sink.stop()
    (saved,) = (tmp_path / "mail").glob("*.eml")
    kept = message_from_bytes(saved.read_bytes(), policy=default)
    assert isinstance(kept, EmailMessage)
    body = kept.get_body()
    assert body is not None
    assert "请于期限内完成整改" in body.get_content()
    line = capsys.readouterr().out
    assert "[EMAIL] to leader@example.cn: 隐患逾期提醒：王家厂镇某烟花厂" in line
    assert str(saved) in line


async def test_mail_sink_file_names_sort_in_arrival_order(tmp_path: Path) -> None:
    port = free_port()
    sink = start_mail_sink("127.0.0.1", port, tmp_path / "mail")
    try:
        for n in range(40):
            message = EmailMessage()
            message["From"] = "duban@localhost"
            message["To"] = "leader@example.cn"
            message["Subject"] = f"第{n:02d}封"
            message.set_content("。")
            await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
    finally:
        sink.stop()
    subjects = [
        message_from_bytes(p.read_bytes(), policy=default)["Subject"]
        for p in sorted((tmp_path / "mail").glob("*.eml"))
    ]
    assert subjects == [f"第{n:02d}封" for n in range(40)]


def test_a_service_without_code_is_reported_not_fatal() -> None:
    result = load_service(ServiceSpec("no_such_service", "nothing"))
    assert result == "not built yet: services.no_such_service is missing"


def test_every_topic_and_its_dead_letter_topic_are_created() -> None:
    topics = topic_partitions(4)
    assert {t: topics[t] for t in ALL_TOPICS} == dict.fromkeys(ALL_TOPICS, 4)
    assert {topics[t + ".dlq"] for t in ALL_TOPICS} == {1}


def test_development_gets_a_kept_secret_production_none(tmp_path: Path) -> None:
    dev = {"DUBAN_ENV": "development", "ESCALATION_SECRET_KEY": "set-by-the-operator"}
    development_secrets(dev, tmp_path)
    key = dev["HAZARD_API_SECRET_KEY"]
    assert len(key) >= 32 and dev["NOTIFICATION_SECRET_KEY"] == key == dev["PORTAL_SECRET_KEY"]
    assert dev["ESCALATION_SECRET_KEY"] == "set-by-the-operator"
    again = {"DUBAN_ENV": "development"}
    development_secrets(again, tmp_path)
    assert again["HAZARD_API_SECRET_KEY"] == key  # the same after a restart

    production = {"DUBAN_ENV": "production"}
    development_secrets(production, tmp_path / "prod")
    assert "HAZARD_API_SECRET_KEY" not in production
    assert not (tmp_path / "prod").exists()


def test_the_banner_shows_the_movable_clock_and_its_offset_only_under_make_demo(
    tmp_path: Path,
) -> None:
    offset = tmp_path / "clock-offset"
    demo = {"DUBAN_CLOCK_OFFSET_FILE": str(offset)}
    assert clock_offset_description(demo) == (
        f"movable (demo): offset +0 s, read from {offset} "
        "(write a number of seconds into it to move every service's time)"
    )
    offset.write_text(str(31 * 86400), encoding="ascii")
    line = clock_offset_description(demo)
    assert line is not None and line.startswith("movable (demo): offset +2678400 s")
    text = banner([], {}, broker="b", embedded_broker=True, mail="m", sms="s", clock_offset=line)
    assert f"  Clock         {line}\n" in text

    assert clock_offset_description({}) is None
    plain = banner([], {}, broker="b", embedded_broker=True, mail="m", sms="s")
    assert "Clock" not in plain


async def test_production_never_seeds_the_demo_county(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.processes import LoadedService
    from ops.stack import RunSettings, Stack
    from services.hazard_api.config import Settings

    monkeypatch.setenv("DUBAN_ENV", "production")
    monkeypatch.setenv("HAZARD_API_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("HAZARD_API_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/h.db")
    spec = ServiceSpec("hazard_api", "隐患")
    stack = Stack(RunSettings(var_dir=tmp_path / "var"), env=dict(os.environ))
    stack.loaded.append(LoadedService(spec, Settings(), migrations_dir=None))
    # Seeding would run `duban seed-demo`, which refuses in production and fails the start.
    await stack.prepare_databases()
    assert "production: no demo county" in capsys.readouterr().out


async def test_a_killed_broker_is_restarted_with_its_topics_and_partitions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout = {"hazard.events": 6, "hazard.events.dlq": 1}
    broker = EmbeddedBroker().start()
    watcher = asyncio.create_task(watch_broker(broker, layout, RestartPolicy(), poll_s=0.05))
    try:
        await ensure_topics(broker.bootstrap_servers, layout)
        first = broker.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        for _ in range(300):
            if broker.pid != first and "topics recreated" in capsys.readouterr().out:
                break
            await asyncio.sleep(0.1)
        assert broker.pid != first and broker.exited() is None
        assert await topic_layout(broker.bootstrap_servers, list(layout)) == layout
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        broker.stop()


async def test_topics_a_client_created_with_other_partitions_are_recreated() -> None:
    with EmbeddedBroker() as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait("org.events", b"{}")  # tansu creates it: 4 partitions
        finally:
            await producer.stop()
        assert await topic_layout(broker.bootstrap_servers, ["org.events"]) == {"org.events": 4}
        await ensure_topics(broker.bootstrap_servers, {"org.events": 6})
        assert await topic_layout(broker.bootstrap_servers, ["org.events"]) == {"org.events": 6}
