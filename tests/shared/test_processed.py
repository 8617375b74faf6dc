"""The processed-events ledger: which events of a batch are new, claimed in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from shared.clock import TestClock
from shared.db import transaction
from shared.processed import APPLIED, DEAD_LETTERED, claim_new
from tests.shared.support import OutboxDb


async def claim(db: OutboxDb, ids: list[str], clock: TestClock, consumer: str = "c") -> list[bool]:
    async with transaction(db.sessions) as session:
        return await claim_new(session, db.tables.processed_events, consumer, ids, clock.now())


async def test_an_id_is_new_once_per_consumer_even_twice_in_one_batch(
    db: OutboxDb, clock: TestClock
) -> None:
    assert await claim(db, ["a", "b", "a"], clock) == [True, True, False]
    assert await claim(db, ["a", "c"], clock) == [False, True]
    assert await claim(db, ["a"], clock, consumer="other") == [True]


async def test_a_rolled_back_claim_leaves_the_ids_new(db: OutboxDb, clock: TestClock) -> None:
    with pytest.raises(RuntimeError):
        async with transaction(db.sessions) as session:
            table = db.tables.processed_events
            assert await claim_new(session, table, "c", ["a"], clock.now()) == [True]
            raise RuntimeError("the handler failed")
    assert await claim(db, ["a"], clock) == [True]


async def test_a_dead_lettered_id_is_new_again_and_then_applied(
    db: OutboxDb, clock: TestClock
) -> None:
    table = db.tables.processed_events
    async with transaction(db.sessions) as session:
        await session.execute(
            table.insert().values(
                consumer="c", event_id="d", processed_at=clock.now(), outcome=DEAD_LETTERED
            )
        )
    clock.advance(seconds=60)
    assert await claim(db, ["d", "d"], clock) == [True, False]
    async with db.sessions() as session:
        row = (await session.execute(select(table).where(table.c.event_id == "d"))).one()
    assert row.outcome == APPLIED
    assert row.processed_at == clock.now()
    assert await claim(db, ["d"], clock) == [False]


async def test_a_batch_is_claimed_in_one_statement(db: OutboxDb, clock: TestClock) -> None:
    """A round trip saved on every consumer transaction: the check and the insert are one."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "processed_events" in statement:
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await claim(db, [f"e{i}" for i in range(50)], clock) == [True] * 50
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 1
