"""The service is SIGKILLed after the provider accepted an SMS but before the delivery log
recorded it; restarted, it asks the provider and does not send that SMS again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from services.notification.delivery.models import Delivery, DeliveryAttempt
from services.notification.delivery.send import CRASH_HOOK_ENV
from shared.broker import free_port
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import SECRET, aliyun_config, tencent_config

ROOT = Path(__file__).resolve().parents[2]


def service_env(database_url: str, providers: list[Any], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFICATION_")}
    env.update(
        {
            "DUBAN_ENV": "test",
            "NOTIFICATION_SECRET_KEY": SECRET,
            "NOTIFICATION_DATABASE_URL": database_url,
            "NOTIFICATION_RUN_CONSUMERS": "false",
            "NOTIFICATION_SCHEDULER_INTERVAL_S": "0.1",
            "NOTIFICATION_RECONCILE_AFTER_S": "0",
            "NOTIFICATION_DEFAULT_CHANNELS": '["sms"]',
            "NOTIFICATION_URGENT_WINDOW_S": "0",  # as the harness: urgent goes at once by day
            # The service runs on the real clock, which may be in quiet hours (21:00–08:00
            # Beijing), when even an urgent text waits for the morning.
            "NOTIFICATION_QUIET_HOURS_START": "null",
            "NOTIFICATION_QUIET_HOURS_END": "null",
            "NOTIFICATION_SMS_PROVIDERS": json.dumps([p.model_dump() for p in providers]),
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        }
    )
    env.update(extra)
    return env


async def start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "services.notification.main:create_app",
        "--port",
        str(free_port()),
        "--log-level",
        "warning",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def run_until_crash(env: dict[str, str], marker: Any) -> None:
    """Start the service with the crash hook; SIGKILL it once the provider has accepted."""
    process = await start({**env, CRASH_HOOK_ENV: str(marker)})
    try:
        for _ in range(600):
            if marker.exists() and marker.read_text():
                break
            await asyncio.sleep(0.05)
        assert marker.exists(), "the service never reached the crash point"
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL


async def run_until_settled(env: dict[str, str], h: Any) -> None:
    """Restart the service and stop it once no delivery is pending any more."""
    process = await start(env)
    try:
        for _ in range(600):
            if "pending" not in (await log_state(h))[0]:
                break
            await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def log_state(h: Any) -> tuple[list[str], list[str]]:
    async with h.runtime.sessionmaker() as session:
        deliveries = [d.status for d in await session.scalars(select(Delivery))]
        attempts = [a.outcome for a in await session.scalars(select(DeliveryAttempt))]
    return deliveries, attempts


async def test_killed_after_acceptance_restart_does_not_resend(
    make_harness, database_url, aliyun, tencent, tmp_path
) -> None:
    providers = [aliyun_config(aliyun.url), tencent_config(tencent.url)]
    h = await make_harness(sms_providers=providers, default_channels=["sms"])
    await h.org(org_events())
    await h.step(
        step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.URGENT)
    )
    marker = tmp_path / "accepted"
    phone = PEOPLE["p-firm"].mobile or ""

    await run_until_crash(service_env(database_url, providers), marker)
    assert len(aliyun.emulator.sends_to(phone)) == 1
    assert await log_state(h) == (["pending"], ["pending"])  # the crash left it unrecorded

    await run_until_settled(service_env(database_url, providers), h)
    assert await log_state(h) == (["delivered"], ["accepted"])
    assert len(aliyun.emulator.sends_to(phone)) == 1  # exactly once
    assert tencent.emulator.accepted == []  # and no failover resend either
    statuses = [e["status"] for e in await h.events()]
    assert statuses == ["sent", "delivered"]


async def test_killed_after_a_batch_was_accepted_each_number_gets_one_text(
    make_harness, database_url, aliyun, tencent, tmp_path
) -> None:
    """SendBatchSms accepted for three numbers, then the process dies before the log records
    it; restarted, reconciliation finds each number under the batch's OutId: nothing resent."""
    providers = [aliyun_config(aliyun.url), tencent_config(tencent.url)]
    # A routine notice (urgent texts are never batched), sent at once: no digest window.
    h = await make_harness(sms_providers=providers, default_channels=["sms"], digest_window_s=0)
    await h.org(org_events())
    roles = [
        ChainRole.ENTERPRISE_PRINCIPAL,
        ChainRole.ENTERPRISE_SAFETY_MANAGER,
        ChainRole.TOWNSHIP_PRINCIPAL,
    ]
    await h.step(step_fired(h.clock, roles=roles, urgency=Urgency.NORMAL))
    marker = tmp_path / "accepted"
    routine = {"NOTIFICATION_DIGEST_WINDOW_S": "0"}
    phones = [PEOPLE[p].mobile or "" for p in ("p-firm", "p-firm-sm", "p-town")]

    await run_until_crash(service_env(database_url, providers, **routine), marker)
    assert aliyun.emulator.batches == [3]
    assert await log_state(h) == (["pending"] * 3, ["pending"] * 3)

    await run_until_settled(service_env(database_url, providers, **routine), h)
    assert await log_state(h) == (["delivered"] * 3, ["accepted"] * 3)
    assert [len(aliyun.emulator.sends_to(p)) for p in phones] == [1, 1, 1]  # exactly once
    assert aliyun.emulator.batches == [3]
    assert tencent.emulator.accepted == []
