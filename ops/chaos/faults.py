"""The fault catalogue and a seeded schedule of it.

Kinds: each proxy toxic (latency, timeout, reset_peer, limit_data, down) in front of each
dependency (broker, PostgreSQL, SMTP, SMS provider), kill -9 of each service and of the
broker, SMS provider 500s and timeouts while minutes of the virtual clock pass, and clock
jumps. A schedule places every (kind, target) once, in seeded order, before repeating any,
so a long enough run covers the whole catalogue; the same seed gives the same schedule.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from dataclasses import dataclass
from datetime import timedelta

from ops.chaos.world import World

DEPENDENCIES = ("broker", "postgresql", "smtp", "sms")
TOXICS = ("latency", "timeout", "reset_peer", "limit_data", "down")
SERVICES = ("hazard_api", "escalation", "notification")


@dataclass(frozen=True)
class Fault:
    kind: str
    target: str
    hold_s: float  # real seconds it lasts (a kill: before the broker comes back)
    amount: int = 0  # latency/timeout ms, data bytes, clock minutes

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}({self.amount})/{self.hold_s:.0f}s"


def catalogue() -> list[tuple[str, str]]:
    kinds = [(toxic, dep) for toxic in TOXICS for dep in DEPENDENCIES]
    kinds += [("kill", svc) for svc in SERVICES]
    kinds += [("kill", "broker"), ("provider_500", "sms"), ("provider_timeout", "sms")]
    kinds += [("clock_jump", "clock")]
    return kinds


def _fault(rng: random.Random, kind: str, target: str) -> Fault:
    hold = rng.uniform(2.0, 6.0)
    amount = {
        "latency": rng.randint(50, 1500),
        "timeout": rng.choice([0, rng.randint(200, 3000)]),
        "reset_peer": rng.randint(0, 500),
        "limit_data": rng.randint(64, 4096),
        "provider_500": rng.randint(5, 60),  # virtual minutes of 500s
        "provider_timeout": rng.randint(5, 60),
        "clock_jump": rng.randint(30, 36 * 60),  # virtual minutes forward
    }.get(kind, 0)
    return Fault(kind, target, hold, amount)


def schedule(seed: int, rounds: int, per_round: int) -> list[list[Fault]]:
    """`rounds` lists of faults; every kind of the catalogue once before any repeats."""
    rng = random.Random(seed)
    order: list[tuple[str, str]] = []
    plan: list[list[Fault]] = []
    for _ in range(rounds):
        faults: list[Fault] = []
        while len(faults) < per_round:
            # One kill a round: `duban run` gives up on a child that keeps dying.
            killed = any(f.kind == "kill" for f in faults)
            allowed = [i for i, (kind, _) in enumerate(order) if not (killed and kind == "kill")]
            if not allowed:
                fresh = catalogue()
                rng.shuffle(fresh)
                order = fresh + order  # the next catalogue comes after what is left
                continue
            kind, target = order.pop(allowed[-1])
            faults.append(_fault(rng, kind, target))
        plan.append(faults)
    return plan


async def inject(w: World, fault: Fault) -> None:
    """Apply the fault, hold it, take it away."""
    if fault.kind in TOXICS:
        proxy = w.proxies[fault.target]
        attributes = {
            "latency": {"latency_ms": fault.amount},
            "timeout": {"timeout_ms": fault.amount},
            "reset_peer": {"timeout_ms": fault.amount},
            "limit_data": {"bytes": fault.amount},
        }.get(fault.kind, {})
        proxy.add(fault.kind, **attributes)
        try:
            await asyncio.sleep(fault.hold_s)
        finally:
            proxy.remove(fault.kind)
    elif fault.kind == "kill" and fault.target == "broker":
        w.broker.kill()
        try:
            await asyncio.sleep(fault.hold_s)
        finally:
            await w.broker.start()  # empty, in memory: the topics are created again
    elif fault.kind == "kill":
        pid = w.service_pid(fault.target)
        if pid is None:
            raise RuntimeError(f"no {fault.target} process under duban run to kill")
        seen = len(w.stack.lines)
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(fault.hold_s)
        for _ in range(60):  # `duban run` saw it die and restarts it
            if any(f"{fault.target} exited (code -9)" in line for line in w.stack.lines[seen:]):
                break
            await asyncio.sleep(0.5)
        else:
            raise RuntimeError(f"duban run did not notice {fault.target} killed")
    elif fault.kind in ("provider_500", "provider_timeout"):
        w.sms.mode = "5xx" if fault.kind == "provider_500" else "timeout"
        w.sms.delay_s = 6.0  # longer than the provider entry's timeout_s (5 s)
        try:
            steps = max(1, int(fault.hold_s))
            for _ in range(steps):  # minutes of the virtual clock pass under the fault
                await asyncio.sleep(fault.hold_s / steps)
                w.clock.advance(timedelta(minutes=fault.amount / steps))
        finally:
            w.sms.mode = "ok"
    elif fault.kind == "clock_jump":
        w.clock.advance(timedelta(minutes=fault.amount))
    else:
        raise ValueError(f"unknown fault {fault}")
    w.faults.append(str(fault))
