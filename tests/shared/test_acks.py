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


class Answering:
    """A broker connection that answers ListOffsets for partition 0 with `error_code`."""

    def __init__(self, error_code: int, leader: int | None = 0) -> None:
        self.error_code = error_code
        self.cluster = SimpleNamespace(
            partitions_for_topic=lambda topic: {0}, leader_for_partition=lambda tp: leader
        )

    async def force_metadata_update(self) -> bool:
        return True

    async def send(self, node: int, request: Any) -> Any:
        return SimpleNamespace(topics=[(TP.topic, [(0, self.error_code, -1, 50)])])


async def test_a_broker_error_is_not_taken_for_lost_records() -> None:
    """Under load tansu answered ListOffsets with an error (or metadata without a leader) for
    a partition it had: that is "cannot say" (nothing confirmed, sent again), not a reset,
    which would republish every recent row. Only "unknown topic or partition" says it lost
    them."""
    for client in (Answering(error_code=6), Answering(error_code=0, leader=-1)):
        witness = BrokerWitness("127.0.0.1:1", "test")
        confirmed, reset = await witness.confirm(SimpleNamespace(client=client), acks(40, 10))
        assert (confirmed, reset) == ([], False)
    witness = BrokerWitness("127.0.0.1:1", "test")
    confirmed, reset = await witness.confirm(SimpleNamespace(client=Answering(3)), acks(40, 10))
    assert (confirmed, reset) == ([], True)
    witness = BrokerWitness("127.0.0.1:1", "test")
    confirmed, reset = await witness.confirm(SimpleNamespace(client=Answering(0)), acks(40, 10))
    assert (confirmed, reset) == (list(range(10)), False)
