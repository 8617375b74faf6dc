"""What the broker can back up: the relay's check of acknowledgements, and broker resets.

A restarted in-memory broker (tansu) acknowledges records for a topic it no longer has, under
the partition layout the producer remembers, and loses them (issue #17). So the relay counts an
acknowledgement as delivery only when, asked afterwards, the broker has the topic, the
partition, and an end offset past it (`BrokerWitness.confirm`, which also says how tansu counts
that end). It remembers, per partition, the highest end the broker reported; an end that went
back, or a topic that vanished or lost partitions, means the broker lost records it had
confirmed: a reset (`BrokerWitness.reset_seen`). The relay answers a reset by publishing its
recent rows again (shared.relay); consumers deduplicate by event id.

A topic the relay has published to before and that is now missing or has fewer partitions is
not published to (`unavailable`): the runner recreates it with its partitions first (ops).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.protocol.offset import OffsetRequest

log = logging.getLogger(__name__)

LATEST = -1  # ListOffsets: the end of the partition
UNKNOWN_TOPIC_OR_PARTITION = 3  # the one ListOffsets error that says the broker has none
# Pauses before asking again about an end not yet past our records: a loaded broker may answer
# before it counts them, and each false "not there" publishes those records a second time.
RECHECK_S = (0.05, 0.1, 0.2, 0.4)


class BrokerWitness:
    def __init__(self, bootstrap_servers: str, name: str, *, timeout_s: float = 5.0) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.name = name
        self.timeout_s = timeout_s
        # Partitions of each topic when first seen (the runner's layout): fewer means a reset.
        self.partitions: dict[str, int] = {}
        # Per partition: the highest end offset the broker reported after our records.
        self.seen_end: dict[TopicPartition, int] = {}

    def forget_offsets(self) -> None:
        """After a reset the broker's offsets start again from zero."""
        self.seen_end.clear()

    # ------------------------------------------------------------------ checks
    async def unavailable(self, producer: AIOKafkaProducer, topics: Iterable[str]) -> set[str]:
        """Topics published to before that the broker now lacks or has fewer partitions of
        (also refreshes the producer's partition layout). Empty if the broker cannot say."""
        known = [t for t in set(topics) if t in self.partitions]
        if not known or not await self._refresh(producer):
            return set()
        return {
            t for t in known if self._shrunk(t, producer.client.cluster.partitions_for_topic(t))
        }

    async def confirm(
        self, producer: AIOKafkaProducer, acks: Sequence[tuple[Any, Any]]
    ) -> tuple[list[Any], bool]:
        """`acks`: (row id, RecordMetadata). The ids whose records the broker has, and whether
        it lost something (a reset). Nothing is confirmed when the broker cannot be asked."""
        if not acks or not await self._refresh(producer):
            return [], False
        cluster = producer.client.cluster
        layout: dict[str, set[int]] = {}
        reset = False
        why: list[str] = []  # what made it a reset, for the log
        for topic in {md.topic for _, md in acks}:
            parts = cluster.partitions_for_topic(topic) or set()
            if self._shrunk(topic, parts):
                reset = True
                why.append(f"{topic}: {len(parts)} partition(s) in the metadata")
                continue
            self.partitions[topic] = max(self.partitions.get(topic, 0), len(parts))
            layout[topic] = parts
        tps = {
            TopicPartition(md.topic, md.partition)
            for _, md in acks
            if md.partition in layout.get(md.topic, ())
        }
        if len(tps) < len({(md.topic, md.partition) for _, md in acks}):
            reset = True
            why.append("a partition written to is not in the metadata")
        # tansu reports a partition's end as the base offset of its last record batch + 1, so
        # a record counts when the end passes the first offset this round acknowledged there
        # (all of them went in together). An end below one seen before is a reset; an end not
        # yet past ours is asked again after each of RECHECK_S, then the rows stay unsent and
        # go again (consumers deduplicate), without calling it a reset.
        first: dict[TopicPartition, int] = {}
        for _, md in acks:
            tp = TopicPartition(md.topic, md.partition)
            first[tp] = min(first.get(tp, md.offset), md.offset)
        held: set[TopicPartition] = set()
        for pause in (0.0, *RECHECK_S):
            asked = {tp for tp in tps if tp not in held}
            if not asked:
                break
            if pause:
                await asyncio.sleep(pause)
            ends = await self._end_offsets(producer, asked)
            if ends is None:
                break
            for tp in asked:
                end = ends.get(tp)
                if end is None or end < self.seen_end.get(tp, 0):
                    reset = True
                    why.append(
                        f"{tp.topic}/{tp.partition}: end {end}, seen {self.seen_end.get(tp)}"
                    )
                elif end > first[tp]:
                    held.add(tp)
                    self.seen_end[tp] = end
            if reset:
                break
        confirmed = [i for i, md in acks if TopicPartition(md.topic, md.partition) in held]
        if len(confirmed) < len(acks):
            log.warning(
                "outbox relay %s: the broker does not have %d acknowledged record(s)%s; "
                "they stay unsent",
                self.name,
                len(acks) - len(confirmed),
                f" (reset: {'; '.join(why)})" if reset else "",
            )
        return confirmed, reset

    async def reset_seen(self, producer: AIOKafkaProducer) -> bool:
        """Whether the broker lost records it had confirmed: a partition's end offset went back,
        or a topic vanished or shrank. False when the broker cannot be asked (try later)."""
        if not self.partitions or not await self._refresh(producer):
            return False
        cluster = producer.client.cluster
        if any(self._shrunk(t, cluster.partitions_for_topic(t)) for t in self.partitions):
            return True
        ends = await self._end_offsets(producer, set(self.seen_end))
        if ends is None:
            return False
        return any(ends.get(tp, 0) < end for tp, end in self.seen_end.items())

    # ------------------------------------------------------------------ helpers
    def _shrunk(self, topic: str, parts: set[int] | None) -> bool:
        return not parts or len(parts) < self.partitions.get(topic, 0)

    async def _refresh(self, producer: AIOKafkaProducer) -> bool:
        try:
            return bool(
                await asyncio.wait_for(producer.client.force_metadata_update(), self.timeout_s)
            )
        except Exception as exc:
            log.warning("outbox relay %s: broker metadata unavailable: %r", self.name, exc)
            return False

    async def _end_offsets(
        self, producer: AIOKafkaProducer, tps: set[TopicPartition]
    ) -> dict[TopicPartition, int] | None:
        """The broker's end offset of each partition (missing: the broker says it has none).
        None when it cannot say: unreachable, a partition without a leader just now, or any
        error but "unknown topic or partition" — under load tansu answered so for partitions it
        had, and taking that for a loss republished every recent row (a false reset).
        Asked through the producer's own connection (a ListOffsets request, as aiokafka's
        consumer does): no second client to start and stop beside every relay."""
        if not tps:
            return {}
        cluster = producer.client.cluster
        by_node: dict[int, dict[str, list[tuple[int, int]]]] = {}
        for tp in tps:
            node = cluster.leader_for_partition(tp)
            if node is None or node < 0:
                log.warning("outbox relay %s: no leader for %s just now", self.name, tp)
                return None
            by_node.setdefault(node, {}).setdefault(tp.topic, []).append((tp.partition, LATEST))
        ends: dict[TopicPartition, int] = {}
        try:
            for node, topics in by_node.items():
                request = OffsetRequest(-1, 0, list(topics.items()))
                response = await asyncio.wait_for(
                    producer.client.send(node, request), self.timeout_s
                )
                for topic, parts in response.topics:
                    for part, error_code, *info in parts:
                        if error_code == 0:
                            ends[TopicPartition(topic, part)] = int(info[-1])
                        elif error_code != UNKNOWN_TOPIC_OR_PARTITION:
                            raise RuntimeError(f"ListOffsets {topic}/{part}: error {error_code}")
        except Exception as exc:
            log.warning("outbox relay %s: end offsets unavailable: %r", self.name, exc)
            return None
        return ends
