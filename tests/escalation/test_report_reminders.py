"""Report reminders go out once: across ticks, restarts and two runtimes on one database."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from services.escalation.reports.models import ReminderState, ReportReminder
from services.escalation.runtime import Runtime
from shared.clock import TestClock
from shared.contract import ChainRole, ReportDue, ReportKind
from tests.conftest import DatabaseFactory
from tests.escalation.conftest import outbox_events, sh, start_runtime


async def reminders_sent(runtime: Runtime) -> list[ReportDue]:
    out = []
    for envelope in await outbox_events(runtime, "escalation.report_due"):
        payload = envelope.typed_payload()
        assert isinstance(payload, ReportDue)
        out.append(payload)
    return out


async def states(runtime: Runtime) -> dict[str, str]:
    async with runtime.sessionmaker() as session:
        rows = (await session.scalars(select(ReportReminder))).all()
    return {r.id: r.state for r in rows}


async def test_a_reminder_goes_once_over_ticks_and_a_restart(
    database_url: str, clock: TestClock
) -> None:
    clock.set(sh(2026, 4, 8, 8, 59))
    runtime = await start_runtime(database_url, clock)
    try:
        assert await runtime.reports.tick() == []
        clock.set(sh(2026, 4, 8, 9, 0))
        assert await runtime.reports.tick() == ["quarterly-2026Q1-7d"]
        assert await runtime.reports.tick() == []
    finally:
        await runtime.engine.dispose()
    # A restart: the new process finds the row and sends nothing again.
    runtime = await start_runtime(database_url, clock)
    try:
        assert await runtime.reports.tick() == []
        clock.set(sh(2026, 4, 13, 9, 0))
        assert await runtime.reports.tick() == ["quarterly-2026Q1-2d"]
        clock.set(sh(2026, 4, 16, 9, 0))
        assert await runtime.reports.tick() == []
        sent = await reminders_sent(runtime)
    finally:
        await runtime.engine.dispose()
    assert [(r.reminder_id, r.lead_days) for r in sent] == [
        ("quarterly-2026Q1-7d", 7),
        ("quarterly-2026Q1-2d", 2),
    ]
    first = sent[0]
    assert first.kind is ReportKind.QUARTERLY
    assert (first.year, first.quarter, first.due_date.isoformat()) == (2026, 1, "2026-04-15")
    assert first.target_roles == [
        ChainRole.ENTERPRISE_PRINCIPAL,
        ChainRole.ENTERPRISE_SAFETY_MANAGER,
    ]
    assert first.remind_at == sh(2026, 4, 8, 9, 0)


async def test_coming_up_late_sends_the_latest_passed_reminder_once_and_none_after_due(
    database_url: str, clock: TestClock
) -> None:
    # Down over both reminder times, up on 14 April: one text (the 2-day one), not two.
    clock.set(sh(2026, 4, 14, 15, 0))
    runtime = await start_runtime(database_url, clock)
    try:
        await runtime.reports.start()  # the first tick runs at start-up
        for _ in range(200):
            if await reminders_sent(runtime):
                break
            await asyncio.sleep(0.05)
        await runtime.reports.stop()
        assert [r.reminder_id for r in await reminders_sent(runtime)] == ["quarterly-2026Q1-2d"]
        assert await states(runtime) == {
            "quarterly-2026Q1-7d": ReminderState.SUPERSEDED,
            "quarterly-2026Q1-2d": ReminderState.SENT,
        }
    finally:
        await runtime.engine.dispose()


async def test_coming_up_after_the_due_date_sends_nothing(
    database_url: str, clock: TestClock
) -> None:
    clock.set(sh(2026, 4, 16, 9, 0))
    runtime = await start_runtime(database_url, clock)
    try:
        assert await runtime.reports.tick() == []
        assert await reminders_sent(runtime) == []
    finally:
        await runtime.engine.dispose()


async def test_the_yearly_report_reminder_goes_in_january_on_a_working_day(
    database_url: str, clock: TestClock
) -> None:
    # 31 January 2026 is a Saturday: the 0-day reminder of the 2025 report goes on Friday.
    clock.set(sh(2026, 1, 30, 9, 0))
    runtime = await start_runtime(database_url, clock)
    runtime.reports.lead_days = [0]
    try:
        assert await runtime.reports.tick() == ["yearly-2025-0d"]
        (sent,) = await reminders_sent(runtime)
    finally:
        await runtime.engine.dispose()
    assert (sent.kind, sent.year, sent.quarter) == (ReportKind.YEARLY, 2025, None)


async def test_two_runtimes_on_one_postgresql_database_send_each_reminder_once(
    make_database_url: DatabaseFactory, clock: TestClock
) -> None:
    url = await make_database_url("postgresql")
    clock.set(sh(2026, 4, 13, 9, 0))
    a = await start_runtime(url, clock)
    b = await start_runtime(url, clock)
    try:
        for _ in range(5):
            results = await asyncio.gather(a.reports.tick(), b.reports.tick())
            assert sum(len(r) for r in results) <= 1
        sent = await reminders_sent(a)
        assert [r.reminder_id for r in sent] == ["quarterly-2026Q1-2d"]
    finally:
        await a.engine.dispose()
        await b.engine.dispose()
