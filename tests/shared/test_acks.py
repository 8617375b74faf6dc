"""The relay's check of acknowledgements when the broker is slow to count: records it answers
for late are still confirmed (each false "not there" would publish them a second time), and
records it never shows stay unsent without being called a reset."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiokafka import TopicPartition

from shared.acks import RECHECK_S, BrokerWitness

TP = TopicPartition("org.events", 0)


class SlowToCount(BrokerWitness):
    """A broker that reports a partition's end without our batch for its first `late` answers
    (as a loaded tansu does), then with it."""

    def __init__(self, late: int, end: int) -> None:
        super().__init__("127.0.0.1:1", "test")
        self.late = late
        self.end = end
        self.asked = 0

    async def _refresh(self, producer: Any) -> bool:
        return True

    async def _end_offsets(self, producer: Any, tps: set[TopicPartition]) -> dict[Any, int]:
        self.asked += 1
        counted = self.asked > self.late
        return {tp: self.end if counted else 40 for tp in tps}


def producer() -> Any:
    cluster = SimpleNamespace(partitions_for_topic=lambda topic: {0})
    return SimpleNamespace(client=SimpleNamespace(cluster=cluster))


def acks(first: int, count: int) -> list[tuple[int, Any]]:
    return [
        (i, SimpleNamespace(topic=TP.topic, partition=0, offset=first + i)) for i in range(count)
    ]


async def test_records_the_broker_counts_late_are_confirmed() -> None:
    witness = SlowToCount(late=len(RECHECK_S), end=50)  # counted at the last ask
    confirmed, reset = await witness.confirm(producer(), acks(40, 10))
    assert confirmed == list(range(10)) and not reset
    assert witness.asked == len(RECHECK_S) + 1


async def test_records_the_broker_never_shows_stay_unsent_without_a_reset() -> None:
    witness = SlowToCount(late=100, end=50)
    confirmed, reset = await witness.confirm(producer(), acks(40, 10))
    assert confirmed == [] and not reset
    assert witness.asked == len(RECHECK_S) + 1
