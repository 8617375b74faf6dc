"""Everything a running escalation process holds, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.escalation.accidents import clocks as accident_clocks
from services.escalation.cases.flows import CaseFlows
from services.escalation.cases.timeline import Planner, WorkingHours
from services.escalation.config import Settings
from services.escalation.db import MIGRATIONS_DIR
from services.escalation.policy.loader import PolicySet
from services.escalation.policy.service import ensure_snapshots
from services.escalation.reports.reminders import ReportReminders
from services.escalation.schedules import load_known as load_known_schedules
from services.escalation.timers.auditor import Auditor
from services.escalation.timers.scheduler import Scheduler
from shared.calendar import WorkCalendar, default_calendar
from shared.clock import Clock
from shared.db import ensure_sqlite_folder, make_sessionmaker, transaction
from shared.migrations import upgrade_async


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    policies: PolicySet
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    planner: Planner
    snapshot_ids: dict[str, int]
    flows: CaseFlows
    scheduler: Scheduler
    auditor: Auditor
    reports: ReportReminders


async def policy_snapshots(
    sessionmaker: async_sessionmaker[AsyncSession], policies: PolicySet, clock: Clock
) -> dict[str, int]:
    """The snapshot id of each loaded policy. Two workers (or replicas) starting together on a
    new database both insert the same snapshots; the one that loses that race finds the
    winner's rows when it reads again."""
    try:
        async with transaction(sessionmaker) as session:
            return await ensure_snapshots(session=session, policies=policies, now=clock.now())
    except IntegrityError:
        async with transaction(sessionmaker) as session:
            return await ensure_snapshots(session=session, policies=policies, now=clock.now())


async def build_runtime(
    settings: Settings,
    clock: Clock,
    policies: PolicySet,
    *,
    calendar: WorkCalendar | None = None,
) -> Runtime:
    """Migrate the database, freeze the loaded policies into snapshots, wire the parts."""
    ensure_sqlite_folder(settings.database_url)
    await upgrade_async(settings.database_url, MIGRATIONS_DIR)
    engine = settings.make_engine()
    sessionmaker = make_sessionmaker(engine)
    hours = WorkingHours(settings.working_hours_start, settings.working_hours_end)
    calendar = calendar or default_calendar()
    planner = Planner(calendar, hours=hours)
    accident_policy = accident_clocks.load_policy(settings.accident_policy_file)
    try:
        snapshot_ids = await policy_snapshots(sessionmaker, policies, clock)
        # Apart from the hazard policies: `PolicySet.select` never offers it to a hazard.
        snapshot_ids |= await policy_snapshots(sessionmaker, PolicySet([accident_policy]), clock)
    except BaseException:
        await engine.dispose()
        raise
    for policy in [*policies.policies, accident_policy]:
        planner.register(snapshot_ids[policy.id], policy.steps)
    # The official holiday schedules received before this start (hazard_api broadcasts them).
    await load_known_schedules(sessionmaker, planner.calendar)
    scheduler = Scheduler(
        engine,
        planner,
        clock,
        batch_size=settings.scheduler_batch_size,
        poll_seconds=settings.scheduler_poll_seconds,
        crash_point=settings.test_crash_point,
    )
    auditor = Auditor(
        engine,
        planner,
        clock,
        interval_seconds=settings.auditor_interval_seconds,
        batch_size=settings.auditor_batch_size,
        overdue_seconds=settings.auditor_overdue_seconds,
    )
    reports = ReportReminders(
        engine,
        calendar,
        clock,
        lead_days=settings.report_remind_days,
        at=settings.report_remind_time,
        interval_seconds=settings.report_interval_seconds,
    )
    flows = CaseFlows(
        policies=policies,
        snapshot_ids=snapshot_ids,
        planner=planner,
        clock=clock,
        on_due=scheduler.wake,
        accident_policy=accident_policy,
    )
    return Runtime(
        settings=settings,
        clock=clock,
        policies=policies,
        engine=engine,
        sessionmaker=sessionmaker,
        planner=planner,
        snapshot_ids=snapshot_ids,
        flows=flows,
        scheduler=scheduler,
        auditor=auditor,
        reports=reports,
    )
