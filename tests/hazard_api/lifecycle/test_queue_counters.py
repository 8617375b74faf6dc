"""The counter behind the 工作台 counts (migration 0014): database triggers keep it equal to a
fresh count of the open hazards, whatever writes them (here: raw SQL, not the API), on SQLite
and PostgreSQL, and under concurrent transactions on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.hazard_api.hazards.models import Hazard, HazardQueueCount
from services.hazard_api.hazards.service import ENDED
from shared.contract import HazardStatus, ListingLevel
from tests.hazard_api.lifecycle.conftest import HAZARD, Api

UNITS = ["ent-hongxing", "ent-huayu", "ent-jiancheng"]
KEY = (
    Hazard.unit_id,
    Hazard.status,
    Hazard.listing_level.is_not(None),
    Hazard.extension_requested_at.is_not(None),
    Hazard.deadline_at.is_not(None),
)
COUNTER_KEY = (
    HazardQueueCount.unit_id,
    HazardQueueCount.status,
    HazardQueueCount.listed,
    HazardQueueCount.extension_pending,
    HazardQueueCount.has_deadline,
)


async def recount(engine: AsyncEngine) -> dict[tuple[Any, ...], int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(*KEY, func.count()).where(Hazard.status.not_in(ENDED)).group_by(*KEY)
        )
        return {tuple(bool(v) if i >= 2 else v for i, v in enumerate(r[:5])): r[5] for r in rows}


async def counters(engine: AsyncEngine) -> dict[tuple[Any, ...], int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(*COUNTER_KEY, HazardQueueCount.n))
        counted = {tuple(bool(v) if i >= 2 else v for i, v in enumerate(r[:5])): r[5] for r in rows}
    assert all(n >= 0 for n in counted.values()), counted
    return {k: n for k, n in counted.items() if n}


async def clones(api: Api, engine: AsyncEngine, n: int) -> list[str]:
    """n hazards written straight into the table (copies of one reported through the API)."""
    hid = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    async with engine.begin() as conn:
        row = dict(
            (await conn.execute(select(*Hazard.__table__.columns).where(Hazard.id == hid)))
            .one()
            ._mapping
        )
        ids = [f"clone-{i:04d}" for i in range(n)]
        await conn.execute(
            insert(Hazard),
            [
                row | {"id": i, "code": f"YH-T-{i}", "unit_id": UNITS[k % 3]}
                for k, i in enumerate(ids)
            ],
        )
    return ids


def random_change(rng: random.Random, now: Any) -> dict[str, Any]:
    """Any mix of the columns the counter keys on, including moves to and from closed/voided."""
    change: dict[str, Any] = {"updated_at": now}
    if rng.random() < 0.7:
        change["status"] = rng.choice(list(HazardStatus)).value
    if rng.random() < 0.3:
        change["listing_level"] = rng.choice([None, ListingLevel.COUNTY.value])
    if rng.random() < 0.3:
        change["extension_requested_at"] = rng.choice([None, now])
    if rng.random() < 0.3:
        change["deadline_at"] = rng.choice([None, now + timedelta(days=rng.randint(-9, 9))])
    if rng.random() < 0.1:
        change["unit_id"] = rng.choice(UNITS)
    if rng.random() < 0.1:
        change["description"] = "不计数的列"  # no counter column: the trigger leaves it be
    return change


async def test_the_counter_equals_a_recount_after_any_writes(api: Api, app: FastAPI) -> None:
    engine: AsyncEngine = app.state.engine
    ids = await clones(api, engine, 40)
    assert await counters(engine) == await recount(engine) != {}
    rng, now = random.Random(15), app.state.clock.now()
    for step in range(120):
        async with engine.begin() as conn:
            hid = rng.choice(ids)
            if step % 30 == 29:  # a deleted hazard leaves its count too
                await conn.execute(delete(Hazard).where(Hazard.id == hid))
                ids.remove(hid)
            else:
                await conn.execute(
                    update(Hazard).where(Hazard.id == hid).values(random_change(rng, now))
                )
    assert await counters(engine) == await recount(engine)
    # Moves that change every counter column at once, in one statement over many rows.
    async with engine.begin() as conn:
        await conn.execute(
            update(Hazard)
            .where(Hazard.id.in_(ids[:10]))
            .values(status=HazardStatus.RECTIFYING.value, listing_level=None, unit_id=UNITS[0])
        )
    assert await counters(engine) == await recount(engine)


@pytest.mark.parametrize("db_kind", ["postgresql"])
async def test_concurrent_transitions_lose_no_count(api: Api, app: FastAPI) -> None:
    """Many transactions at once moving hazards of the same units between the same counter
    rows: each waits for the row it adds to, none deadlocks, and no increment is lost."""
    engine: AsyncEngine = app.state.engine
    ids = await clones(api, engine, 24)
    now = app.state.clock.now()

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            async with engine.begin() as conn:
                hid = rng.choice(ids)
                await conn.execute(
                    update(Hazard).where(Hazard.id == hid).values(random_change(rng, now))
                )
                await asyncio.sleep(0)  # hold the counter rows' locks while the others run

    await asyncio.gather(*(worker(seed) for seed in range(8)))
    assert await counters(engine) == await recount(engine)
