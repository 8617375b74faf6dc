"""`duban dead-letters list|replay` against a real broker and a real consumer.

The consumer applies each event once (one `effects` row per application); an event it failed
on goes to `<topic>.dlq`; after the fault is fixed the operator replays it, twice even, and it
is applied exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.broker import free_port
from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.contract import Envelope
from tests.conftest import unique_topic
from tests.shared.support import (
    OutboxDb,
    eventually,
    group_name,
    make_outbox_db,
    person_event,
    produce,
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[OutboxDb]:
    db = await make_outbox_db(database_url)
    yield db
    await db.engine.dispose()


def duban(broker: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": broker, "DUBAN_ENV": "production"}
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "dead-letters", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def applied(db: OutboxDb, key: str) -> int:
    async with db.engine.connect() as conn:
        query = select(func.count()).select_from(db.effects).where(db.effects.c.key == key)
        return int(await conn.scalar(query) or 0)


async def test_dead_letters_are_listed_and_replayed_without_double_application(
    db: OutboxDb, broker: str, clock: TestClock
) -> None:
    topic = unique_topic("dl")
    broken = {"p-bad"}

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        if envelope.aggregate_id in broken:
            raise RuntimeError("通讯录中没有该人员")
        await db.apply(session, envelope)

    bad, good = person_event(clock, "p-bad", "李四"), person_event(clock, "p-good")
    messages = [
        (b"p-bad", bad.to_bytes()),
        (b"p-x", b"{not json"),
        (b"p-good", good.to_bytes()),
    ]
    await produce(broker, topic, messages)
    runner = ConsumerRunner(
        name=group_name(),
        topics=[topic],
        bootstrap_servers=broker,
        sessionmaker=db.sessions,
        processed_events=db.tables.processed_events,
        handler=handler,
        clock=clock,
        max_retries=0,
        retry_backoff=0.01,
        session_timeout_ms=6000,
    )
    await runner.start()
    try:
        await eventually(lambda: runner.handled == 1 and runner.dead_lettered == 2)

        listed = duban(broker, "list", "--topic", topic)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert len(lines) == 3
        first, poison = sorted(lines[:2], key=lambda line: "unparsable event" in line)
        assert first.startswith(f"{topic}.dlq[")
        poison_place = poison.split()[0]  # <dlq>[partition]@offset: the broker picks partitions
        for part in (
            f"事件 {bad.event_id}",
            "类型 org.person_upserted",
            "对象 p-bad",
            "失败于 2026-03-06 09:00:00（北京时间）",  # the clock's 01:00 UTC
            "错误：RuntimeError: 通讯录中没有该人员",
        ):
            assert part in first
        assert "事件 （无编号）" in poison and "unparsable event" in poison
        assert lines[2] == f"{topic}.dlq 中共 2 条死信"

        everywhere = duban(broker, "list", "--limit", "1")
        assert everywhere.returncode == 0, everywhere.stderr
        assert len(everywhere.stdout.splitlines()) == 2
        assert "显示最近 1 条" in everywhere.stdout

        missing = duban(broker, "replay", "--topic", topic, "--id", str(uuid.uuid4()))
        assert missing.returncode == 1
        assert "未在死信中找到事件" in missing.stderr
        assert runner.handled == 1

        broken.clear()  # the fault is fixed
        replayed = duban(broker, "replay", "--topic", topic, "--id", str(bad.event_id))
        assert replayed.returncode == 0, replayed.stderr
        assert f"已重新发布事件 {bad.event_id}（org.person_upserted）到 {topic}" in replayed.stdout
        await eventually(lambda: runner.handled == 2)
        assert await applied(db, "p-bad") == 1

        again = duban(broker, "replay", "--topic", f"{topic}.dlq", "--all")
        assert again.returncode == 0, again.stderr
        assert "共重新发布 1 个事件" in again.stdout
        assert f"跳过 {poison_place}：原始消息不是可识别的事件" in again.stderr
        await eventually(lambda: runner.skipped == 1)
    finally:
        await runner.stop()
    assert await applied(db, "p-bad") == 1
    assert await applied(db, "p-good") == 1
    assert runner.handled == 2


def test_an_unreachable_broker_is_said_plainly() -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    result = duban(nowhere, "list")
    assert result.returncode == 1
    assert f"无法连接消息队列 {nowhere}（KAFKA_BOOTSTRAP_SERVERS）" in result.stderr
    assert "Traceback" not in result.stderr
