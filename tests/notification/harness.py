"""The notification service under test: its runtime with a test clock, and the ways a test
feeds it events, reads its outbox and signs its requests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from services.notification.db import outbox_tables
from services.notification.directory.flows import apply_org_event
from services.notification.runtime import Runtime
from shared.bearer import encode_token
from shared.clock import TestClock
from shared.contract import (
    Envelope,
)
from shared.db import transaction
from tests.notification.county import envelope_of
from tests.notification.settings import SECRET


@dataclass
class Harness:
    runtime: Runtime
    clock: TestClock

    async def org(self, payloads: list[Any]) -> None:
        async with transaction(self.runtime.sessionmaker) as session:
            for payload in payloads:
                await apply_org_event(session, envelope_of(payload, self.clock))

    async def step(self, envelope: Envelope) -> None:
        async with transaction(self.runtime.sessionmaker) as session:
            await self.runtime.on_escalation_event(session, envelope)

    async def settle(self) -> None:
        await self.runtime.run_until_idle()

    def bearer(
        self,
        role: str = "county_office",
        person_id: str | None = None,
        scopes: tuple[str, ...] = (),
    ) -> dict[str, str]:
        """Headers carrying a token as hazard_api issues them (same key, same claims)."""
        claims = {"sub": new_id(), "role": role, "person_id": person_id, "scopes": list(scopes)}
        token = encode_token(claims, secret_key=SECRET, clock=self.clock, minutes=60)
        return {"Authorization": f"Bearer {token}"}

    async def events(self, type_: str = "notification.changed") -> list[dict[str, Any]]:
        o = outbox_tables.outbox
        async with self.runtime.engine.connect() as conn:
            rows = (await conn.execute(select(o.c.value).order_by(o.c.id))).scalars().all()
        envelopes = [Envelope.model_validate_json(v) for v in rows]
        return [e.payload for e in envelopes if e.type == type_]


def new_id() -> str:
    return uuid.uuid4().hex


async def wait_for(predicate: Callable[[], bool], seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")
