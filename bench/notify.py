"""Notices per second through resolution, the delivery log and a provider emulator.

Baseline (same run, same emulator process): signed SendSms calls straight from the Aliyun
adapter, no database. Measured path: escalation requests recorded (batched, as a consumer
batch would be), roles resolved from the directory read model, one dispatch and one
delivery-log row per person, every person's attempt row committed before the call, the
texts due together sent through the Aliyun emulator in SendBatchSms calls (up to 100
numbers each; signature, template and every number's parameters checked), outcome and
NotificationChanged events recorded. One routine notice per person (no digest window, no
quiet hours: the 08:00 release of everything held overnight; urgent texts are never batched),
SMS only; SQLite. The service's start-up heap freeze (`shared.heap`) runs before the
measured part, as in the service process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from services.notification.config import Settings  # noqa: E402
from services.notification.db import MIGRATIONS_DIR  # noqa: E402
from services.notification.delivery.models import Delivery  # noqa: E402
from services.notification.directory.flows import apply_org_event  # noqa: E402
from services.notification.providers.aliyun import AliyunProvider  # noqa: E402
from services.notification.providers.base import Outcome, SmsMessage  # noqa: E402
from services.notification.runtime import Runtime  # noqa: E402
from shared.broker import free_port, wait_for_port  # noqa: E402
from shared.clock import SystemClock  # noqa: E402
from shared.contract import (  # noqa: E402
    ChainRole,
    PersonUpserted,
    PostRole,
    UnitKind,
    UnitUpserted,
    Urgency,
)
from shared.db import make_engine, transaction  # noqa: E402
from shared.heap import freeze_startup_heap  # noqa: E402
from shared.migrations import upgrade_async  # noqa: E402
from tests.notification.county import envelope_of, post, step_fired  # noqa: E402
from tests.notification.settings import aliyun_config  # noqa: E402

NOTICES = int(os.environ.get("BENCH_NOTICES", "3000"))
CONCURRENCY = 8


async def baseline(url: str, n: int) -> float:
    provider = AliyunProvider(aliyun_config(url, timeout_s=10))
    gate = asyncio.Semaphore(CONCURRENCY)
    variables = {
        "county": "示范县",
        "unit": "基线",
        "level": "一般事故隐患",
        "code": "B",
        "status": "已逾期1天（整改期限3月5日）",
        "ask": "请立即完成整改并申请验收",
        "phone": "0571-88880000",
    }

    async def one(i: int) -> None:
        async with gate:
            message = SmsMessage(
                f"139{i:08d}", "notice", {**variables, "link": f"http://x/a/{i}"}, "", f"b{i}"
            )
            result = await provider.send(message)
            assert result.outcome == Outcome.ACCEPTED, result

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    await provider.aclose()
    return n / elapsed


def directory(n: int) -> list[object]:
    events: list[object] = [
        UnitUpserted(unit_id="c", kind=UnitKind.COUNTY, name="县", area_code="330000"),
        UnitUpserted(
            unit_id="t", kind=UnitKind.TOWNSHIP, name="镇", area_code="330001", parent_id="c"
        ),
    ]
    for i in range(n):
        events += [
            UnitUpserted(
                unit_id=f"e{i}",
                kind=UnitKind.ENTERPRISE,
                name=f"企业{i}",
                area_code="330001",
                parent_id="t",
                territorial_unit_id="t",
            ),
            PersonUpserted(person_id=f"p{i}", name=f"负责人{i}", mobile=f"138{i:08d}"),
            post(f"p{i}", f"e{i}", PostRole.PRINCIPAL, "总经理"),
        ]
    return events


async def measured(url: str, n: int, workdir: str) -> tuple[float, int, float]:
    db = f"sqlite+aiosqlite:///{workdir}/bench.db"
    await upgrade_async(db, MIGRATIONS_DIR)
    clock = SystemClock()
    settings = Settings(
        env="test",
        secret_key="bench-secret-key-0123456789",
        database_url=db,
        run_consumers=False,
        run_scheduler=False,
        default_channels=["sms"],
        sms_providers=[aliyun_config(url, timeout_s=10, daily_cap=100)],
        send_concurrency=CONCURRENCY,
        dispatch_batch=500,
        digest_window_s=0,
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    engine = make_engine(db)
    runtime = Runtime(settings, engine, clock)
    async with transaction(runtime.sessionmaker) as session:
        for payload in directory(n):
            await apply_org_event(session, envelope_of(payload, clock))  # type: ignore[arg-type]
    freeze_startup_heap()  # what every service does once started (shared.apidocs)
    steps = [
        step_fired(
            clock,  # type: ignore[arg-type]
            roles=[ChainRole.ENTERPRISE_PRINCIPAL],
            urgency=Urgency.NORMAL,
            hazard_n=i,
            unit_id=f"e{i}",
        )
        for i in range(n)
    ]
    start, cpu = time.perf_counter(), time.process_time()
    for chunk in range(0, n, 500):
        async with transaction(runtime.sessionmaker) as session:
            for envelope in steps[chunk : chunk + 500]:
                await runtime.on_escalation_event(session, envelope)
    await runtime.run_until_idle(max_ticks=10 * n)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu

    async with runtime.sessionmaker() as session:
        sent = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
        )
    await runtime.stop()
    await engine.dispose()
    return n / elapsed, int(sent or 0), cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (the emulator's share of the work)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(url: str, emulator_pid: int) -> None:
    await baseline(url, 200)  # warm-up: connections, imports, caches
    cpu0, emu0 = time.process_time(), cpu_seconds(emulator_pid)
    base = await baseline(url, NOTICES)
    cpu1, emu1 = time.process_time(), cpu_seconds(emulator_pid)
    with tempfile.TemporaryDirectory() as workdir:
        rate, sent, cpu_path = await measured(url, NOTICES, workdir)
    emu2 = cpu_seconds(emulator_pid)
    if sent != NOTICES:
        raise SystemExit(f"only {sent} of {NOTICES} notices were sent")
    base_cpu = (cpu1 - cpu0) + (emu1 - emu0)
    path_cpu = cpu_path + (emu2 - emu1)
    load = os.getloadavg()[0]
    print(f"machine load average: {load:.1f} on {os.cpu_count()} cores")
    print(f"baseline (adapter → emulator, no database): {base:,.0f} sends/s")
    print(f"notification path (resolution + delivery log + emulator): {rate:,.0f} notices/s")
    print(
        f"CPU per notice: path {1000 * path_cpu / NOTICES:.2f} ms "
        f"(emulator {1000 * (emu2 - emu1) / NOTICES:.2f} ms), "
        f"baseline {1000 * base_cpu / NOTICES:.2f} ms"
    )
    print(
        f"RESULT notices_per_s={rate:.0f} baseline_sends_per_s={base:.0f} "
        f"ratio={rate / base:.2f} notices_per_cpu_s={NOTICES / path_cpu:.0f} "
        f"baseline_per_cpu_s={NOTICES / base_cpu:.0f} load={load:.1f} notices={NOTICES}"
    )


def main() -> None:
    port = free_port()
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tests.notification.emulators:aliyun_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-keep-alive",
            "120",
        ],
        cwd=ROOT,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        asyncio.run(run(f"http://127.0.0.1:{port}/", emulator.pid))
    finally:
        emulator.terminate()
        emulator.wait(10)


if __name__ == "__main__":
    main()
