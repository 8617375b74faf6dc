"""Upward reporting through the real chain as `duban run` runs it (hazard_api, escalation,
notification, the broker, reporting) to the provincial emulator: a major hazard's
classification, listing and delisting (销号), an accident's 快报 and two 续报. The province
fails for a simulated hour in 10-minute steps — 500s, then timeouts (one step where it never
looks at the request, one where it takes the document in and answers too late), then 429 with
Retry-After; the clock moves; the reporting process is killed with SIGKILL in the middle, while
two documents the province has just taken in wait for their answers and two more are not sent
yet; afterwards everything has arrived, in order per item, each document under one webhook-id
and accepted once, signed and valid — as the emulator's own record says. The reporting
service's database is PostgreSQL or SQLite (the other services run on `duban run`'s SQLite)."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx

from ops import province_emulator
from shared.broker import free_port
from tests.e2e.harness import Mailbox, VirtualClock, aliyun_provider, eventually, providers_env
from tests.e2e.reporting_story import answered, ledger, make_reports, reporting_pid
from tests.e2e.stack import Stack
from tests.e2e.world import START, World
from tests.notification import emulators

SECRET = "whsec_" + base64.b64encode(b"chain-province-secret-0123456789").decode()
EXPECTED = {
    "hazard": ["hazard.classified", "hazard.listed", "hazard.closed"],
    "accident": ["initial", "follow_up", "follow_up"],
}
HEADS = 2  # per item only the first undelivered submission goes out: one request per item
STEP = timedelta(minutes=10)
# The hour of failure, step by step. Retries come at most 9.6 minutes apart (480 s ± 20 %) and
# Retry-After is 9 minutes, so each step sees one retry of each item.
OUTAGE = (("500", 2), ("timeout", 1), ("late", 1), ("429", 2))


def arrived(emu: province_emulator.Emulator) -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = {}
    for record in emu.ordered():
        data = record["data"]
        by_kind.setdefault(record["item"]["kind"], []).append(
            data.get("event") or data.get("report_kind")
        )
    return by_kind


@contextlib.asynccontextmanager
async def five_services(
    tmp_path: Path, clock: VirtualClock, extra_env: dict[str, str]
) -> AsyncIterator[World]:
    """As tests/e2e/world.py's `world`, with five services' start-up time."""
    async with emulators.serve("aliyun") as aliyun:
        env = {
            "DUBAN_CLOCK_OFFSET_FILE": str(clock.path),
            "NOTIFICATION_SMS_PROVIDERS": providers_env(aliyun_provider(aliyun.url)),
            **extra_env,
        }
        stack = Stack(tmp_path / "stack", extra_env=env)
        mailbox = Mailbox(directory=stack.mail_dir)
        await stack.start(within_s=300)
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                yield World(stack, clock, aliyun.emulator, mailbox, client, {})
        except BaseException:
            ours = [line for line in stack.lines if line.startswith(("report", "duban"))]
            print("\n".join(line for line in ours if "/internal/outbox" not in line)[-20000:])
            raise
        finally:
            code = await stack.stop()
            assert code == 0, stack.output()[-4000:]


async def test_reports_arrive_in_order_once_through_an_outage_and_a_kill(
    tmp_path: Path, database_url: str
) -> None:
    clock = VirtualClock(tmp_path / "clock-offset")
    clock.set(START)
    port = free_port()
    async with province_emulator.serve([SECRET], clock=clock) as province:
        emu = province.emulator
        # A held request waits longer than the service's timeout (until the mode changes).
        emu.mode, emu.hang_s, emu.retry_after = "500", 120.0, "540"
        env = {
            "REPORTING_HTTP_PORT": str(port),
            "REPORTING_DATABASE_URL": database_url,
            "REPORTING_PROVINCE_URL": province.url,
            "REPORTING_SIGNING_SECRETS": SECRET,
            "REPORTING_COUNTY_AREA_CODE": "430723",
            "REPORTING_DELIVERY_TIMEOUT_S": "5",
            "REPORTING_RUN_JOBS": "false",  # the quarterly schedule is not part of this story
            "REPORTING_RETRY_BASE_S": "60",
            "REPORTING_RETRY_MAX_INTERVAL_S": "480",
        }
        async with five_services(tmp_path, clock, env) as w:
            await make_reports(w)
            await eventually(lambda: len(emu.requests) >= HEADS, "first attempts (answered 500)")
            for mode, steps in OUTAGE:
                for _ in range(steps):
                    # The clock moves only once the service has written down how the last
                    # requests ended (a timeout takes real seconds).
                    await eventually(lambda: answered(w, port, emu.requests), "the answers kept")
                    emu.mode = mode
                    seen = len(emu.requests)
                    w.clock.advance(STEP)
                    await eventually(
                        lambda s=seen: len(emu.requests) >= s + HEADS, f"a retry each ({mode})"
                    )
            await eventually(lambda: answered(w, port, emu.requests), "the 429s kept")
            assert {r["mode"] for r in emu.requests} == {"500", "timeout", "late", "429"}
            # Only what the province took in with a late answer is there yet: the first of each.
            late = {r["webhook_id"] for r in emu.requests if r["mode"] == "late"}
            assert {r["webhook_id"] for r in emu.ordered()} == late and len(late) == HEADS

            # The province works again, but is slow with new documents: the first two are
            # answered from its record and delivered, the next two are taken in and their
            # answers are pending when the reporting process is killed.
            emu.mode = "late"
            w.clock.advance(timedelta(hours=1))  # past every backoff and Retry-After
            await eventually(lambda: len(emu.ordered()) >= 2 * HEADS, "the next two taken in")
            pid = reporting_pid(port)
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            cut = [r["webhook_id"] for r in emu.ordered()][HEADS:]
            emu.mode = "ok"
            await eventually(
                lambda: any("reporting: restarted" in line for line in w.stack.lines),
                "the reporting service restarted",
            )
            w.clock.advance(STEP)  # past the killed process's lease on its two requests
            await eventually(
                lambda: sum(len(v) for v in arrived(emu).values()) >= 6,
                "every report at the province",
                within_s=120,
            )
            assert arrived(emu) == EXPECTED
            records = emu.ordered()
            assert not emu.refused  # every signature and document was valid
            # Each document under one webhook-id: no content arrived under two ids, and every
            # request the province ever saw (retries, timeouts, the one cut off) bore one of six.
            contents = Counter(repr(sorted(r["data"].items())) for r in records)
            assert max(contents.values()) == 1
            ids = {r["webhook_id"] for r in records}
            assert len(ids) == 6 and {r["webhook_id"] for r in emu.requests} == ids
            # What the province had taken in before the sender gave up on the answer (timeout,
            # kill) came again under its id, and is in its record once.
            assert {r["webhook_id"] for r in records if r["times"] > 1} == late | set(cut)

            # The kill did land mid-request: the service's ledger has a claim without an answer
            # for each of the two (and delivered everything afterwards).
            async def delivered() -> bool:
                return all(r["state"] == "delivered" for r in await ledger(w, port))

            await eventually(delivered, "the ledger's receipts")
            rows = {r["webhook_id"]: r for r in await ledger(w, port)}
            unanswered = {i for i, r in rows.items() if r["attempt_count"] > len(r["attempts"])}
            assert unanswered == set(cut)
