"""The delivery pass keeps requests in flight while it claims and records: more requests at once
than one claim holds, every answer recorded, each item's submissions still in order."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from ops.province_emulator import Running
from services.reporting.delivery.engine import Deliverer
from services.reporting.exchange.documents import render
from services.reporting.ledger.models import Attempt, Submission
from services.reporting.ledger.service import NewSubmission, enqueue_many
from shared.clock import TestClock
from shared.db import transaction
from tests.reporting.conftest import make_settings, start_runtime

ITEMS, PER_ITEM = 30, 3
CONCURRENCY, BATCH = 8, 4


def body(item: int, n: int) -> bytes:
    return render(
        {
            "$schema": "/schemas/hazard-major/1",
            "document": "hazard-major",
            "version": 1,
            "sender": {"area_code": "430723", "name": "青山县安委办"},
            "item": {"kind": "hazard", "id": f"h-{item}", "code": None},
            "source_event_id": f"e-{item}-{n}",
            "occurred_at": "2026-03-09T09:30:00+08:00",
            "data": {
                "event": "hazard.classified",
                "unit": {"name": "青山化工有限公司", "credit_code": None},
                "level": "major",
                "status": "classified",
                "description": f"第{n}次报告",
            },
        }
    )


class Gate(httpx.AsyncBaseTransport):
    """Holds the first requests until `CONCURRENCY` are in flight at once, then lets all pass:
    a loop that waits for a whole claim to be answered before claiming again never gets there."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.in_flight = self.most = 0
        self.open = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= CONCURRENCY:
            self.open.set()
        try:
            await self.open.wait()
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_requests_stay_in_flight_across_claims_and_every_answer_is_recorded(
    database_url: str, emulator: Running, clock: TestClock
) -> None:
    # No request here is meant to time out: the suite's 2 s (made for the hanging-province
    # tests) turned a busy CI machine's slow connects into failures (one CI run: 76 of 90).
    settings = make_settings(
        database_url,
        emulator.url,
        delivery_concurrency=CONCURRENCY,
        delivery_batch=BATCH,
        delivery_timeout_s=30.0,
    )
    rt = await start_runtime(settings, clock)
    gate = Gate()
    deliverer = Deliverer(settings, rt.sessionmaker, clock, transport=gate)
    try:
        rows = [
            NewSubmission(
                document="hazard-major",
                version=1,
                item_key=f"hazard:h-{item}",
                source_key=f"e-{item}-{n}",
                source={"n": n},
                body=body(item, n),
            )
            for n in range(PER_ITEM)
            for item in range(ITEMS)
        ]
        async with transaction(rt.sessionmaker) as session:
            await enqueue_many(session, rows, now=clock.now())
        # The bound only turns a regression (a claim answered in full before the next) into a
        # failure instead of a hang.
        sent = await asyncio.wait_for(deliverer.run_until_idle(), 60)
        assert sent == ITEMS * PER_ITEM
        assert gate.most == CONCURRENCY > BATCH
        records = emulator.emulator.ordered()
        assert len(records) == ITEMS * PER_ITEM and all(r["times"] == 1 for r in records)
        for item in range(ITEMS):
            told = [r["data"]["description"] for r in records if r["item"]["id"] == f"h-{item}"]
            assert told == [f"第{n}次报告" for n in range(PER_ITEM)]
        async with rt.sessionmaker() as session:
            attempts = await session.scalar(select(func.count()).select_from(Attempt))
            states = set(await session.scalars(select(Submission.state)))
        assert attempts == ITEMS * PER_ITEM and states == {"delivered"}
    finally:
        await deliverer.aclose()
        await rt.stop()
        await rt.engine.dispose()
