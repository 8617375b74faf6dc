"""`duban dead-letters list|replay`: what the consumers gave up on, and sending it again.

A consumer that cannot apply an event writes it to `<topic>.dlq` as `shared.dlq.dlq_record`
(the error, where it came from, the original bytes). Replaying publishes those original bytes,
with the original key, to the original topic: the event keeps its id, so a consumer that has
applied it already drops it (`processed_events`), and replaying twice applies nothing twice.
The DLQ is read without a consumer group and is left as it is.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from shared.clock import local
from shared.contract import DLQ_SUFFIX, dlq_topic
from shared.settings import DubanSettings


@dataclass(frozen=True)
class DeadLetter:
    dlq: str
    partition: int
    offset: int
    source_topic: str
    key: bytes | None
    original: bytes | None  # the event as it was published; None if the record is unreadable
    error: str
    failed_at: datetime | None
    event_id: str | None
    event_type: str | None
    aggregate_id: str | None


def _original(body: dict[str, object]) -> bytes | None:
    original = body.get("original")
    if not isinstance(original, dict):
        return None
    if isinstance(original.get("text"), str):
        return str(original["text"]).encode()
    if isinstance(original.get("base64"), str):
        return base64.b64decode(str(original["base64"]))
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_dead_letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    """Reads what it can: an event too broken to parse still shows its error and place."""
    try:
        body = json.loads(record.value or b"")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"error": "死信记录无法解析"}
    original = _original(body)
    try:
        event = json.loads(original) if original is not None else None
    except ValueError:
        event = None
    event = event if isinstance(event, dict) else {}
    try:
        failed_at: datetime | None = datetime.fromisoformat(str(body.get("failed_at")))
    except ValueError:
        failed_at = None
    if failed_at is not None and failed_at.tzinfo is None:
        failed_at = failed_at.replace(tzinfo=UTC)  # the consumers write UTC
    return DeadLetter(
        dlq=record.topic,
        partition=record.partition,
        offset=record.offset,
        source_topic=_str(body.get("source_topic")) or record.topic.removesuffix(DLQ_SUFFIX),
        key=record.key,
        original=original,
        error=str(body.get("error") or ""),
        failed_at=failed_at,
        event_id=_str(event.get("event_id")),
        event_type=_str(event.get("type")),
        aggregate_id=_str(event.get("aggregate_id")),
    )


def as_dlq(topic: str) -> str:
    """`hazard.events` and `hazard.events.dlq` both name that topic's dead letters."""
    return topic if topic.endswith(DLQ_SUFFIX) else dlq_topic(topic)


async def read_dead_letters(bootstrap_servers: str, topic: str | None = None) -> list[DeadLetter]:
    """Every record now in the DLQ topics (or the one of `topic`), oldest first per partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        existing = await consumer.topics()
        wanted = [as_dlq(topic)] if topic else [t for t in existing if t.endswith(DLQ_SUFFIX)]
        tps = [
            TopicPartition(t, p)
            for t in sorted(wanted)
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(
                    r for r in batch if r.offset < ends[TopicPartition(r.topic, r.partition)]
                )
        records.sort(key=lambda r: (r.topic, r.partition, r.offset))
        return [parse_dead_letter(r) for r in records]
    finally:
        await consumer.stop()


def describe(letter: DeadLetter) -> str:
    when = local(letter.failed_at).strftime("%Y-%m-%d %H:%M:%S") if letter.failed_at else "时间不明"
    return "  ".join(
        [
            f"{letter.dlq}[{letter.partition}]@{letter.offset}",
            f"事件 {letter.event_id or '（无编号）'}",
            f"类型 {letter.event_type or '不明'}",
            f"对象 {letter.aggregate_id or '不明'}",
            f"失败于 {when}（北京时间）",
            "错误："
            + " | ".join(line.strip() for line in letter.error.splitlines() if line.strip()),
        ]
    )


def choose(
    letters: Sequence[DeadLetter], event_ids: Sequence[str] | None
) -> tuple[list[DeadLetter], list[str]]:
    """The letters to replay (one per event id: an event dead-lettered twice goes out once),
    and what could not be replayed, said for the operator."""
    chosen: dict[str, DeadLetter] = {}
    problems: list[str] = []
    for letter in letters:
        if letter.event_id is None or letter.original is None:
            if event_ids is None:
                place = f"{letter.dlq}[{letter.partition}]@{letter.offset}"
                problems.append(f"跳过 {place}：原始消息不是可识别的事件")
            continue
        if event_ids is None or letter.event_id in event_ids:
            chosen.setdefault(letter.event_id, letter)
    if event_ids is not None:
        problems += [f"未在死信中找到事件 {e}" for e in event_ids if e not in chosen]
    return list(chosen.values()), problems


async def replay(bootstrap_servers: str, letters: Sequence[DeadLetter]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        for letter in letters:
            await producer.send_and_wait(letter.source_topic, letter.original, key=letter.key)
    finally:
        await producer.stop()


# ----------------------------------------------------------------------------- commands
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)  # sorts letters of unknown time first


def _bootstrap() -> str | None:
    # Only the shared KAFKA_BOOTSTRAP_SERVERS is wanted; a throwaway key keeps the settings'
    # production guard (about service secrets) out of a command that signs nothing.
    try:
        return DubanSettings(secret_key="unused-by-dead-letters").kafka_bootstrap_servers
    except ValidationError:
        print("配置无效（DUBAN_ENV 等），请先运行 duban check-config 查看", file=sys.stderr)
        return None


def run_list(topic: str | None, limit: int | None) -> int:
    bootstrap = _bootstrap()
    if bootstrap is None:
        return 1
    try:
        letters = asyncio.run(read_dead_letters(bootstrap, topic))
    except KafkaError as exc:
        print(f"无法连接消息队列 {bootstrap}（KAFKA_BOOTSTRAP_SERVERS）：{exc}", file=sys.stderr)
        return 1
    letters.sort(key=lambda letter: (letter.failed_at or _LONG_AGO, letter.dlq, letter.offset))
    shown = letters[-limit:] if limit else letters
    for letter in shown:
        print(describe(letter))
    where = f"{as_dlq(topic)} 中" if topic else ""
    more = f"，显示最近 {len(shown)} 条" if len(shown) < len(letters) else ""
    print(f"{where}共 {len(letters)} 条死信{more}")
    return 0


def run_replay(topic: str, event_ids: Sequence[str] | None) -> int:
    bootstrap = _bootstrap()
    if bootstrap is None:
        return 1
    try:
        letters = asyncio.run(read_dead_letters(bootstrap, topic))
        chosen, problems = choose(letters, event_ids)
        asyncio.run(replay(bootstrap, chosen))
    except KafkaError as exc:
        print(f"无法连接消息队列 {bootstrap}（KAFKA_BOOTSTRAP_SERVERS）：{exc}", file=sys.stderr)
        return 1
    for letter in chosen:
        print(f"已重新发布事件 {letter.event_id}（{letter.event_type}）到 {letter.source_topic}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(
        f"共重新发布 {len(chosen)} 个事件；已处理过的事件会被消费者按事件编号跳过，不会重复生效。"
        f"死信记录仍保留在 {as_dlq(topic)} 中。"
    )
    return 1 if event_ids is not None and problems else 0
