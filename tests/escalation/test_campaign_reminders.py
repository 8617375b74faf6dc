"""A campaign's 催办 (#15): `campaign.reminded` texts each township's principal and each
department's head named in it, in working hours, and keeps one task per township or department
for the county office; the same event twice does nothing more; the close closes the tasks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from services.escalation.db import outbox_tables
from services.escalation.runtime import Runtime
from services.escalation.tasks.models import Task
from shared.clock import TestClock
from shared.consumer import ConsumerRunner
from shared.contract import (
    ACCIDENT_EVENTS,
    CampaignEvent,
    CampaignEventType,
    CampaignStatus,
    ChainRole,
    Envelope,
    EscalationAction,
    HazardFacts,
    PostRole,
    PostUpserted,
    Producer,
    StepFired,
    TaskClosed,
    TaskCreated,
    TaskKind,
    TaskState,
    UnitKind,
    UnitUpserted,
    Urgency,
)
from shared.responsibility import Directory, resolve_role
from tests.escalation.campaigns import CAMPAIGN, campaign_facts
from tests.escalation.conftest import fired_steps, sh, task_events

Ev = CampaignEventType


def reminded(
    at: datetime, townships: dict[str, list[str]], departments: dict[str, list[str]]
) -> Envelope:
    event = CampaignEvent(
        event=Ev.REMINDED,
        facts=campaign_facts(),
        pending_by_township=townships,
        pending_by_department=departments,
    )
    return Envelope.of(event, aggregate_id=CAMPAIGN, producer=Producer.HAZARD_API, occurred_at=at)


def closed(at: datetime) -> Envelope:
    event = CampaignEvent(event=Ev.CLOSED, facts=campaign_facts(CampaignStatus.CLOSED))
    return Envelope.of(event, aggregate_id=CAMPAIGN, producer=Producer.HAZARD_API, occurred_at=at)


def consumer(runtime: Runtime, clock: TestClock) -> ConsumerRunner:
    """The real consumer's apply (its event-id bookkeeping), minus the broker."""
    return ConsumerRunner(
        name="escalation",
        topics=[ACCIDENT_EVENTS],
        bootstrap_servers="127.0.0.1:1",
        sessionmaker=runtime.sessionmaker,
        processed_events=outbox_tables.processed_events,
        handler=runtime.flows.handle,
        clock=clock,
    )


async def campaign_tasks(runtime: Runtime) -> list[Task]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(Task).where(Task.hazard_id == CAMPAIGN))
        return list(rows.all())


async def tasks_by_unit(runtime: Runtime) -> dict[str, Task]:
    found = await campaign_tasks(runtime)
    return {HazardFacts.model_validate_json(t.facts).unit_id: t for t in found}


def by_unit(steps: list[StepFired]) -> dict[str, StepFired]:
    return {s.facts.unit_id: s for s in steps}


async def test_reminder_texts_each_township_and_department_and_opens_their_tasks(
    county: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 2, 18, 9, 0)
    clock.set(at)
    runner = consumer(county, clock)
    event = reminded(
        at,
        {"tw-east": ["e1", "e2"], "tw-west": ["e3"], "tw-empty": []},
        {"dep-yjj": ["e1", "e3", "e4"]},
    )
    assert await runner._apply(event)
    steps = by_unit(await fired_steps(county, CAMPAIGN))
    assert set(steps) == {"tw-east", "tw-west", "dep-yjj"}  # nobody pending: no text
    east, dep = steps["tw-east"], steps["dep-yjj"]
    assert east.target_roles == [ChainRole.TOWNSHIP_PRINCIPAL] and east.pending == 2
    assert dep.target_roles == [ChainRole.DEPARTMENT_HEAD] and dep.pending == 3
    assert dep.facts.department_ids == ["dep-yjj"] and east.facts.township_id == "tw-east"
    for s in steps.values():
        assert s.action is EscalationAction.CAMPAIGN_REMINDER
        assert s.urgency is Urgency.NORMAL  # working hours: a campaign is not an emergency
        assert s.campaign is not None and s.campaign.notice_no == "示安委办〔2027〕3号"
    tasks = await tasks_by_unit(county)
    assert set(tasks) == {"tw-east", "tw-west", "dep-yjj"}
    assert tasks["tw-east"].kind == TaskKind.CAMPAIGN_PENDING.value
    assert tasks["tw-east"].assignee_role == ChainRole.TOWNSHIP_PRINCIPAL.value
    assert tasks["tw-east"].case_id is None and tasks["tw-east"].state == TaskState.OPEN.value
    assert "2027年春节后复工复产（示安委办〔2027〕3号）尚有2家企业" in tasks["tw-east"].title
    assert "复工复产" in tasks["dep-yjj"].title and "3家" in tasks["dep-yjj"].title
    # The broker delivers it again: nothing more is sent or opened.
    assert not await runner._apply(event)
    assert len(await fired_steps(county, CAMPAIGN)) == 3
    assert len(await task_events(county, CAMPAIGN)) == 3


async def test_next_reminder_refreshes_the_task_and_closes_a_settled_units(
    county: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 2, 18, 9, 0)
    clock.set(at)
    runner = consumer(county, clock)
    await runner._apply(reminded(at, {"tw-east": ["e1", "e2"], "tw-west": ["e3"]}, {}))
    later = at + timedelta(days=1)
    clock.set(later)
    await runner._apply(reminded(later, {"tw-east": ["e2"]}, {}))
    tasks = await tasks_by_unit(county)
    assert len(await campaign_tasks(county)) == 2  # refreshed, not a second task
    assert tasks["tw-east"].state == TaskState.OPEN.value and "尚有1家" in tasks["tw-east"].title
    assert tasks["tw-west"].state == TaskState.DONE.value
    steps = await fired_steps(county, CAMPAIGN)
    assert [s.facts.unit_id for s in steps] == ["tw-east", "tw-west", "tw-east"]
    created = [e for e in await task_events(county, CAMPAIGN) if isinstance(e, TaskCreated)]
    assert len(created) == 2


async def test_campaign_closed_closes_its_tasks(county: Runtime, clock: TestClock) -> None:
    at = sh(2027, 2, 18, 9, 0)
    clock.set(at)
    runner = consumer(county, clock)
    await runner._apply(reminded(at, {"tw-east": ["e1"]}, {"dep-yjj": ["e1"]}))
    end = at + timedelta(days=3)
    clock.set(end)
    await runner._apply(closed(end))
    tasks = await campaign_tasks(county)
    assert len(tasks) == 2 and all(t.state == TaskState.DONE.value for t in tasks)
    assert all(t.note == "复工复产验收工作已结束" for t in tasks)
    closings = [e for e in await task_events(county, CAMPAIGN) if isinstance(e, TaskClosed)]
    assert len(closings) == 2 and all(e.case_id is None for e in closings)
    assert len(await fired_steps(county, CAMPAIGN)) == 2  # the close texts nobody


def county_directory() -> Directory:
    def unit(unit_id: str, kind: UnitKind, **kw: object) -> UnitUpserted:
        return UnitUpserted(unit_id=unit_id, kind=kind, name=unit_id, area_code="330226", **kw)

    def post(pid: str, unit_id: str, role: PostRole, holder: str) -> PostUpserted:
        return PostUpserted(
            post_id=pid, unit_id=unit_id, role=role, title=pid, holder_person_id=holder
        )

    units = [
        unit("county", UnitKind.COUNTY),
        unit("tw-east", UnitKind.TOWNSHIP, parent_id="county"),
        unit("dep-yjj", UnitKind.DEPARTMENT, parent_id="county"),
        unit("dep-other", UnitKind.DEPARTMENT, parent_id="county"),
    ]
    posts = [
        post("t1", "tw-east", PostRole.PRINCIPAL, "p-east-head"),
        post("t2", "tw-east", PostRole.DEPUTY_SAFETY, "p-east-deputy"),
        post("d1", "dep-yjj", PostRole.PRINCIPAL, "p-yjj-head"),
        post("d2", "dep-other", PostRole.PRINCIPAL, "p-other-head"),
    ]
    return Directory(units, posts)


async def test_the_chain_resolver_finds_the_township_and_department_principals(
    county: Runtime, clock: TestClock
) -> None:
    at = sh(2027, 2, 18, 9, 0)
    clock.set(at)
    await consumer(county, clock)._apply(reminded(at, {"tw-east": ["e1"]}, {"dep-yjj": ["e1"]}))
    directory = county_directory()
    people = {
        s.facts.unit_id: [
            e.person_id for e in resolve_role(directory, s.facts.unit_id, role, at=at)
        ]
        for s in await fired_steps(county, CAMPAIGN)
        for role in s.target_roles
    }
    assert people == {"tw-east": ["p-east-head"], "dep-yjj": ["p-yjj-head"]}
