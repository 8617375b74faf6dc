"""One chaos run: the stack up behind proxies, rounds of work under seeded faults, a settling
phase without faults, then the checker over the databases and the outside records."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ops.chaos.checker import Verdict, check
from ops.chaos.faults import inject, schedule
from ops.chaos.records import pending_work, read_records
from ops.chaos.workload import Client, found_time, list_major_hazard
from ops.chaos.world import PG_ADMIN_DSN, REPAIR_INTERVAL_S, SERVICES, World, world

# Monday 2026-03-09, 09:30 in Beijing: an ordinary working week.
START = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)


@dataclass
class Options:
    seed: int
    hazards: int = 12
    rounds: int = 8
    faults_per_round: int = 2
    extra_env: Mapping[str, str] = field(default_factory=dict)
    workdir: Path | None = None
    keep: bool = False  # keep the databases (for a look after a failing run)
    settle_s: float = 240.0
    admin_dsn: str = PG_ADMIN_DSN  # where the fresh databases are created

    def replay(self) -> str:
        extra = "".join(f" --env {k}={v}" for k, v in self.extra_env.items())
        return (
            f"python -m ops.chaos --seed {self.seed} --hazards {self.hazards} "
            f"--rounds {self.rounds} --faults-per-round {self.faults_per_round}{extra}"
        )


@dataclass
class Outcome:
    verdict: Verdict
    faults: list[str]
    items: int
    settled: bool

    @property
    def kinds(self) -> int:
        return len({f.split(":", 1)[0] for f in self.faults})

    def result_line(self) -> str:
        v = self.verdict
        return (
            f"RESULT lost={v.lost} duplicates={v.duplicates} reordered={v.reordered} "
            f"faults={len(self.faults)} items={self.items} kinds={self.kinds}"
        )


def say(line: str) -> None:
    print(f"chaos  | {line}", flush=True)


async def run(options: Options) -> Outcome:
    say(f"seed={options.seed}  (replay: {options.replay()})")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    # Absolute: the services run in a folder below it and read the clock offset file by name.
    workdir = (options.workdir or Path("var") / "chaos" / f"seed-{options.seed}-{stamp}").resolve()
    async with world(
        workdir,
        dict(options.extra_env),
        START,
        admin_dsn=options.admin_dsn,
        keep=options.keep,
    ) as w:
        await _rounds(w, options)
        settled = await settle(w, options.settle_s)
        records = await read_records(
            w.database_urls, list(w.sms.accepted), list(w.mail.received), w.clock.now()
        )
        outcome = Outcome(check(records), list(w.faults), len(records.hazards), settled)
        say(
            f"checked {len(records.hazards)} hazards, {len(records.steps)} steps fired, "
            f"{len(records.notices)} notices, {len(records.deliveries)} deliveries, "
            f"{sum(m.channel == 'sms' for m in records.received)} texts and "
            f"{sum(m.channel == 'email' for m in records.received)} emails received"
        )
        log = workdir / "stack.log"
        log.write_text(w.stack.output(), encoding="utf-8")
        say(f"the stack's output: {log}")
    for problem in outcome.verdict.problems[:40]:
        say(problem)
    if not settled:
        say("the stack did not settle: work was still under way when the checker ran")
    if not outcome.verdict.clean:
        say(f"FAILED with seed={options.seed}; replay: {options.replay()}")
    return outcome


async def _rounds(w: World, options: Options) -> None:
    rng = random.Random(options.seed)
    plan = schedule(options.seed, options.rounds, options.faults_per_round)
    # Hazards come in during the first two thirds; the rest lets their deadlines pass.
    working = max(1, math.ceil(options.rounds * 2 / 3))
    per_round = [
        options.hazards // working + (i < options.hazards % working) for i in range(working)
    ]
    async with httpx.AsyncClient(timeout=10) as http:
        client = Client(w.stack.url("hazard_api"), http)
        for number, faults in enumerate(plan):
            say(f"round {number + 1}/{len(plan)}: {', '.join(map(str, faults))}")
            began = time.monotonic()
            held = [asyncio.create_task(inject(w, fault)) for fault in faults]
            for _ in range(per_round[number] if number < working else 0):
                await list_major_hazard(client, rng, found_time(w.clock.now()))
            say(f"round {number + 1}: hazards listed after {time.monotonic() - began:.0f}s")
            for _ in range(4):  # a day passes, in quarters, so steps fire and digests go out
                await asyncio.sleep(1.5)
                w.clock.advance(timedelta(hours=6))
            await asyncio.gather(*held)
        say(f"rounds done; {client.retries} API calls retried under faults")


async def settle(w: World, within_s: float) -> bool:
    """No more faults: let the stack finish what it has (time moves on in steps, so waiting
    notices are released and retries fall due) until nothing is pending twice running."""
    for proxy in w.proxies.values():
        proxy.clear()
    w.sms.mode = "ok"
    await _ready(w)
    began = time.monotonic()
    # Lost events show only when a consumer compares with its producer's outbox: give the
    # repair a few of its rounds before calling the stack settled.
    at_least = began + 4 * REPAIR_INTERVAL_S
    quiet = 0
    while time.monotonic() < began + within_s:
        w.clock.advance(timedelta(hours=2))
        await asyncio.sleep(3.0)
        quiet = quiet + 1 if await pending_work(w.database_urls, w.clock.now()) == 0 else 0
        if quiet >= 2 and time.monotonic() >= at_least:
            return True
    return False


async def _ready(w: World) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for service in SERVICES:
            for _ in range(120):
                try:
                    if (await http.get(w.stack.url(service) + "/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(1.0)
