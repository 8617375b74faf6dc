"""Upward reporting through the real chain as `duban run` runs it (hazard_api, escalation,
notification, the broker, reporting) to the provincial emulator: a major hazard's
classification and listing, an accident's 快报 and two 续报. The province is down for a
simulated hour (500s, then 429 with Retry-After; timeouts are played in-process by
tests/reporting/test_delivery.py); the clock moves; the
reporting process is killed with SIGKILL in the middle; afterwards everything has arrived,
in order per item, each document under one webhook-id, signed and valid — as the emulator's
own record says."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops import province_emulator
from shared.broker import free_port
from tests.conftest import DatabaseFactory
from tests.e2e.harness import Mailbox, VirtualClock, aliyun_provider, eventually, providers_env
from tests.e2e.stack import Stack
from tests.e2e.test_reminder_chain import PLAN, START, World
from tests.notification import emulators

SECRET = "whsec_" + base64.b64encode(b"chain-province-secret-0123456789").decode()
EXPECTED = {
    "hazard": ["hazard.classified", "hazard.listed"],
    "accident": ["initial", "follow_up", "follow_up"],
}


def reporting_pid(port: int) -> int | None:
    """The reporting service's uvicorn process of this stack (found by its port)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"services.reporting.main:create_app" in argv and str(port).encode() in argv:
            return int(entry.name)
    return None


def arrived(emu: province_emulator.Emulator) -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = {}
    for record in emu.ordered():
        data = record["data"]
        by_kind.setdefault(record["item"]["kind"], []).append(
            data.get("event") or data.get("report_kind")
        )
    return by_kind


async def make_reports(w: World) -> None:
    hazard = await w.api(
        "POST",
        "/hazards",
        "daping",
        json={
            "unit_id": "ent-hongxing",
            "location": "二号库房东侧",
            "description": "库房内存放药量超过核定药量，且防护屏障部分缺失",
            "source": "inspection",
            "found_at": (START - timedelta(hours=20)).isoformat(),
        },
    )
    hid = hazard["id"]
    major = {"level": "major", "grade": 3, "criterion_id": "YH-05"}
    await w.api("POST", f"/hazards/{hid}/classify", "office", json=major)
    await w.api("PUT", f"/hazards/{hid}/plan", "hongxing", json=PLAN)
    listing = {"notice_no": "演安委〔2026〕1号", "deadline_days": 14, "published": True}
    await w.api("POST", f"/hazards/{hid}/listing", "office", json=listing)
    accident = await w.api(
        "POST",
        "/accidents",
        "hongxing",
        json={
            "channel": "enterprise",
            "occurred_at": (w.clock.now() - timedelta(minutes=25)).isoformat(),
            "place": "大坪乡红星烟花爆竹有限公司二号工房",
            "accident_type": "explosion",
            "account": "二号工房装药时发生爆炸",
            "reporter_name": "张红星",
            "reporter_phone": "13800001001",
            "deaths": 1,
            "missing": 0,
            "serious_injuries": 2,
            "direct_loss_yuan": 500_000,
        },
    )
    for deaths in (1, 2):
        follow_up: dict[str, Any] = {
            "kind": "follow_up",
            "account": f"搜救持续，现死亡{deaths}人",
            "reporter_name": "张红星",
            "reporter_phone": "13800001001",
            "deaths": deaths,
            "missing": 0,
            "serious_injuries": 2,
        }
        await w.api("POST", f"/accidents/{accident['id']}/reports", "hongxing", json=follow_up)


@contextlib.asynccontextmanager
async def five_services(
    tmp_path: Path, clock: VirtualClock, extra_env: dict[str, str]
) -> AsyncIterator[World]:
    """As tests/e2e/test_reminder_chain.py's `world`, with five services' start-up time."""
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


@pytest.mark.usefixtures("pg_available")
async def test_reports_arrive_in_order_once_through_an_outage_and_a_kill(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    clock = VirtualClock(tmp_path / "clock-offset")
    clock.set(START)
    port = free_port()
    async with province_emulator.serve([SECRET], clock=clock) as province:
        emu = province.emulator
        emu.mode, emu.hang_s = "500", 15.0
        env = {
            "REPORTING_HTTP_PORT": str(port),
            "REPORTING_DATABASE_URL": await make_database_url("postgresql"),
            "REPORTING_PROVINCE_URL": province.url,
            "REPORTING_SIGNING_SECRETS": SECRET,
            "REPORTING_COUNTY_AREA_CODE": "430723",
            "REPORTING_DELIVERY_TIMEOUT_S": "3",
            "REPORTING_RUN_JOBS": "false",  # the quarterly schedule is not part of this story
            # Retries at most 10 minutes apart, so each 10-minute step of the hour sees one.
            "REPORTING_RETRY_BASE_S": "60",
            "REPORTING_RETRY_MAX_INTERVAL_S": "480",
        }
        async with five_services(tmp_path, clock, env) as w:
            await make_reports(w)
            await eventually(lambda: len(emu.requests) >= 2, "first attempts (answered 500)")
            # A simulated hour: 500s, then 429 with Retry-After (timeouts: tests/reporting).
            # Retry-After (15 minutes) is longer than a step: one 429 round only.
            for mode, steps in (("500", 4), ("429", 1)):
                emu.mode, emu.retry_after = mode, "900"
                for _ in range(steps):
                    seen = len(emu.requests)
                    w.clock.advance(timedelta(minutes=10))
                    await eventually(lambda s=seen: len(emu.requests) > s, f"a retry ({mode})")
            assert emu.ordered() == [] and {r["mode"] for r in emu.requests} >= {"500", "429"}
            emu.mode = "ok"
            w.clock.advance(timedelta(hours=6))  # past every backoff and Retry-After
            await eventually(lambda: len(emu.ordered()) >= 1, "the first delivery")
            pid = reporting_pid(port)
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # in the middle: `duban run` starts it again
            await eventually(
                lambda: any("reporting: restarted" in line for line in w.stack.lines),
                "the reporting service restarted",
            )
            await eventually(
                lambda: sum(len(v) for v in arrived(emu).values()) >= 5,
                "every report at the province",
                within_s=120,
            )
            assert arrived(emu) == EXPECTED
            records = emu.ordered()
            assert not emu.refused  # every signature and document was valid
            # Each document under one webhook-id: no content arrived under two ids.
            contents = Counter(repr(sorted(r["data"].items())) for r in records)
            assert max(contents.values()) == 1
            assert len({r["webhook_id"] for r in records}) == 5
