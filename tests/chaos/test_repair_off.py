"""With the repair of lost events (Build 2) switched off, the checker sees the loss.

A broker in memory that is killed loses what it acknowledged and nobody consumed yet. Here
escalation is frozen (SIGSTOP) while a hazard is reported, so hazard_api's event is
acknowledged by the broker and waits there; the broker is then killed and started empty, and
escalation thawed. Only the repair (`DUBAN_EVENT_REPAIR=on`, the default: the relay notices the
reset and publishes again, consumers compare with the producers' outboxes) gets the hazard its
escalation case back; with it off, the checker reports the hazard without its case.
"""

from __future__ import annotations

import os
import random
import signal
import tempfile
from pathlib import Path

import httpx
import pytest

from ops.chaos.checker import Verdict, check
from ops.chaos.records import read_records, rows
from ops.chaos.run import START, settle
from ops.chaos.workload import Client, found_time, list_major_hazard
from ops.chaos.world import World, world
from tests.conftest import PG_ADMIN_DSN
from tests.e2e.harness import eventually


async def _lose_an_event(w: World) -> None:
    pid = w.service_pid("escalation")
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            client = Client(w.stack.url("hazard_api"), http)
            await list_major_hazard(client, random.Random(1), found_time(w.clock.now()))

        async def relayed() -> bool:
            unsent = await rows(
                w.database_urls["hazard_api"], "SELECT id FROM outbox WHERE sent_at IS NULL"
            )
            return not unsent

        await eventually(relayed, "hazard_api's events acknowledged by the broker")
        w.broker.kill()
        await w.broker.start()
    finally:
        os.kill(pid, signal.SIGCONT)


async def _scenario(repair: str) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="duban-chaos-") as tmp:
        env = {"DUBAN_EVENT_REPAIR": repair}
        async with world(Path(tmp), env, START, admin_dsn=PG_ADMIN_DSN) as w:
            await _lose_an_event(w)
            settled = await settle(w, within_s=90)
            print(w.stack.output()[-20000:])  # shown by pytest when the test fails
            print("settled:", settled)
            records = await read_records(
                w.database_urls, list(w.sms.accepted), list(w.mail.received), w.clock.now()
            )
    return check(records)


@pytest.mark.parametrize("repair", ["on", "off"])
async def test_the_checker_reports_what_only_repair_recovers(
    pg_available: bool, repair: str
) -> None:
    if not pg_available:
        pytest.skip(f"!!! PostgreSQL unreachable at {PG_ADMIN_DSN}: chaos run SKIPPED !!!")
    verdict = await _scenario(repair)
    no_case = [p for p in verdict.problems if "has no escalation case" in p]
    if repair == "off":
        assert no_case, verdict.problems
    else:
        assert not no_case, verdict.problems
