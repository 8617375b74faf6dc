"""Cases driven by hazard events and a test clock, on SQLite and PostgreSQL.

The dates straddle 国庆 2026: 1–7 October are holidays and Saturday 10 October is a make-up
working day (调休). Expected times are written out by hand from the State Council schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.escalation.cases import service
from services.escalation.cases.models import CaseState
from services.escalation.runtime import Runtime
from shared.clock import TestClock
from shared.contract import (
    Channel,
    Envelope,
    HazardLevel,
    HazardStatus,
    ListingLevel,
    NotificationChanged,
    NotificationStatus,
    Producer,
)
from shared.contract import HazardEventType as E
from shared.db import transaction
from tests.escalation.conftest import (
    deliver,
    end_of_day,
    fired_steps,
    hazard_event,
    make_facts,
    outbox_events,
    run_until,
    sh,
)

CLASSIFIED_AT = sh(2026, 9, 21, 10, 0)  # Monday
DEADLINE = end_of_day(2026, 10, 9)  # Friday after the National Day week
# The v1 policy's overdue notice falls at the deadline's last minute; no person is texted at
# night, so it waits for the next working hours: the make-up working Saturday, 08:30.
OVERDUE_AT = sh(2026, 10, 10, 8, 30)


def u(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


async def start_general(runtime: Runtime, clock: TestClock) -> str:
    clock.set(CLASSIFIED_AT)
    facts = make_facts(
        status=HazardStatus.RECTIFYING, classified_at=CLASSIFIED_AT, deadline_at=DEADLINE
    )
    await deliver(runtime, hazard_event(E.RECTIFICATION_STARTED, facts, CLASSIFIED_AT))
    return facts.hazard_id


async def test_general_hazard_fires_its_steps_on_working_days_across_national_day(
    runtime: Runtime, clock: TestClock
) -> None:
    hazard_id = await start_general(runtime, clock)
    await run_until(runtime, clock, sh(2026, 12, 31, 0, 0))

    fired = [(s.step_key, s.repeat_index, s.due_at, s.fired_at) for s in await fired_steps(runtime)]
    expected = [
        # 3 working days before Fri 9 Oct: back over the holiday week to Tue 29 Sep.
        ("remind_3wd", 0, sh(2026, 9, 29, 9, 0)),
        ("remind_1wd", 0, sh(2026, 10, 8, 9, 0)),
        ("overdue_notice", 0, OVERDUE_AT),
        # +3 working days counts the make-up Saturday 10 Oct: 10, 12, 13 Oct.
        ("overdue_3wd", 0, sh(2026, 10, 13, 9, 0)),
        ("overdue_3wd", 1, sh(2026, 10, 15, 9, 0)),  # repeat after 2 working days
        ("supervision_letter", 0, sh(2026, 10, 19, 9, 0)),
        ("bulletin", 0, sh(2026, 10, 29, 9, 0)),
    ]
    assert fired == [(key, rep, u(due), u(due)) for key, rep, due in expected]
    async with runtime.sessionmaker() as session:
        case = await service.get_case(session=session, hazard_id=hazard_id)
    assert case is not None and case.next_fire_at is None and case.fired_count == 7


async def test_extension_rebaselines_remaining_steps_and_closing_stops_them(
    runtime: Runtime, clock: TestClock
) -> None:
    hazard_id = await start_general(runtime, clock)
    await run_until(runtime, clock, sh(2026, 10, 8, 15, 0))
    assert [s.step_key for s in await fired_steps(runtime)] == ["remind_3wd", "remind_1wd"]

    new_deadline = end_of_day(2026, 10, 16)
    extended = make_facts(
        hazard_id=hazard_id, classified_at=CLASSIFIED_AT, deadline_at=new_deadline
    )
    await deliver(runtime, hazard_event(E.EXTENSION_APPROVED, extended, clock.now()))
    await run_until(runtime, clock, sh(2026, 10, 22, 12, 0))

    closed = make_facts(
        hazard_id=hazard_id,
        status=HazardStatus.CLOSED,
        classified_at=CLASSIFIED_AT,
        deadline_at=new_deadline,
    )
    await deliver(runtime, hazard_event(E.CLOSED, closed, clock.now()))
    await run_until(runtime, clock, sh(2027, 3, 1, 0, 0))

    fired = [(s.step_key, s.repeat_index, s.due_at) for s in await fired_steps(runtime)]
    assert fired == [
        ("remind_3wd", 0, u(sh(2026, 9, 29, 9, 0))),
        ("remind_1wd", 0, u(sh(2026, 10, 8, 9, 0))),
        # re-baselined on Fri 16 Oct
        ("remind_3wd", 0, u(sh(2026, 10, 13, 9, 0))),
        ("remind_1wd", 0, u(sh(2026, 10, 15, 9, 0))),
        ("overdue_notice", 0, u(sh(2026, 10, 19, 8, 30))),  # Monday after the new deadline
        ("overdue_3wd", 0, u(sh(2026, 10, 21, 9, 0))),
        # closed on 22 Oct: the repeat (23 Oct), the letter (27 Oct), the bulletin never fire
    ]
    async with runtime.sessionmaker() as session:
        case = await service.get_case(session=session, hazard_id=hazard_id)
    assert case is not None
    assert case.state == CaseState.STOPPED and case.next_fire_at is None
    reasons = [e.payload["reason"] for e in await outbox_events(runtime, "escalation.case_changed")]
    assert reasons == ["started", "rebaselined", "stopped: hazard.closed"]


async def test_stale_claim_is_a_no_op_after_the_case_was_closed(
    runtime: Runtime, clock: TestClock
) -> None:
    hazard_id = await start_general(runtime, clock)
    clock.set(sh(2026, 9, 29, 9, 0))
    async with transaction(runtime.sessionmaker) as session:
        claimed = await service.claim_due(session=session, now=clock.now(), limit=10)
    assert len(claimed) == 1

    closed = make_facts(hazard_id=hazard_id, status=HazardStatus.CLOSED, deadline_at=DEADLINE)
    await deliver(runtime, hazard_event(E.CLOSED, closed, clock.now()))
    # A worker that read the case before it closed now tries to fire from that read.
    async with transaction(runtime.sessionmaker) as session:
        result, _ = await runtime.scheduler.execute(session, claimed, clock.now())
    assert (result.claimed, result.fired, result.stale) == (1, 0, 1)
    assert await fired_steps(runtime) == []


async def test_rectification_report_pauses_the_ladder_and_failed_acceptance_resumes_it(
    runtime: Runtime, clock: TestClock
) -> None:
    hazard_id = await start_general(runtime, clock)
    await run_until(runtime, clock, sh(2026, 10, 8, 12, 0))  # both reminders fired
    reported_at = sh(2026, 10, 8, 16, 0)
    clock.set(reported_at)
    reported = make_facts(
        hazard_id=hazard_id,
        status=HazardStatus.RECTIFICATION_REPORTED,
        classified_at=CLASSIFIED_AT,
        deadline_at=DEADLINE,
        rectification_reported_at=reported_at,
    )
    await deliver(runtime, hazard_event(E.RECTIFICATION_REPORTED, reported, reported_at))
    async with runtime.sessionmaker() as session:
        case = await service.get_case(session=session, hazard_id=hazard_id)
    assert case is not None and case.state == CaseState.PAUSED
    # The acceptance clock: 10 days after the application (Sunday 18 Oct: it waits for Monday
    # morning), then each working day.
    assert case.next_fire_at == u(sh(2026, 10, 19, 8, 30))

    await run_until(runtime, clock, sh(2026, 10, 20, 10, 0))
    failed_at = clock.now()
    failed = make_facts(
        hazard_id=hazard_id,
        status=HazardStatus.RECTIFYING,
        classified_at=CLASSIFIED_AT,
        deadline_at=DEADLINE,
    )
    await deliver(runtime, hazard_event(E.ACCEPTANCE_FAILED, failed, failed_at))
    await run_until(runtime, clock, failed_at)  # what fell due during the pause fires now
    await run_until(runtime, clock, sh(2026, 11, 30, 0, 0))

    fired = [(s.step_key, s.repeat_index, s.due_at, s.fired_at) for s in await fired_steps(runtime)]
    late = u(failed_at)
    assert fired == [
        ("remind_3wd", 0, u(sh(2026, 9, 29, 9, 0)), u(sh(2026, 9, 29, 9, 0))),
        ("remind_1wd", 0, u(sh(2026, 10, 8, 9, 0)), u(sh(2026, 10, 8, 9, 0))),
        ("acceptance_overdue", 0, u(sh(2026, 10, 19, 8, 30)), u(sh(2026, 10, 19, 8, 30))),
        ("acceptance_overdue", 1, u(sh(2026, 10, 20, 8, 30)), u(sh(2026, 10, 20, 8, 30))),
        # resumed on 20 Oct: the ladder steps due while paused fire at once, in order
        ("overdue_notice", 0, u(OVERDUE_AT), late),
        ("overdue_3wd", 0, u(sh(2026, 10, 13, 9, 0)), late),
        ("overdue_3wd", 1, u(sh(2026, 10, 15, 9, 0)), late),
        ("supervision_letter", 0, u(sh(2026, 10, 19, 9, 0)), late),
        ("bulletin", 0, u(sh(2026, 10, 29, 9, 0)), u(sh(2026, 10, 29, 9, 0))),
    ]
    # The reminders stop once rectification is reported (stop: rectified): never again.
    async with runtime.sessionmaker() as session:
        case = await service.get_case(session=session, hazard_id=hazard_id)
    assert case is not None and case.state == CaseState.ACTIVE and case.halted == [0, 1]


async def test_major_hazard_proposes_listing_unless_listed_and_overdue_listed_raises_it(
    runtime: Runtime, clock: TestClock
) -> None:
    classified = sh(2026, 3, 2, 10, 0)  # Monday
    clock.set(classified)
    unlisted = make_facts(
        level=HazardLevel.MAJOR,
        status=HazardStatus.CLASSIFIED,
        classified_at=classified,
        deadline_at=end_of_day(2026, 4, 30),
    )
    await deliver(runtime, hazard_event(E.CLASSIFIED, unlisted, classified))
    await run_until(runtime, clock, sh(2026, 3, 10, 0, 0))
    first = await fired_steps(runtime, unlisted.hazard_id)
    assert [(s.step_key, s.due_at, s.urgency.value) for s in first] == [
        ("propose_listing", u(sh(2026, 3, 9, 9, 0)), "urgent")  # 5 working days on
    ]
    assert first[0].policy_id == "county-major"

    listed_at = clock.now()
    listed = make_facts(
        hazard_id=unlisted.hazard_id,
        level=HazardLevel.MAJOR,
        grade=3,
        status=HazardStatus.RECTIFYING,
        classified_at=classified,
        deadline_at=end_of_day(2026, 4, 30),
        listing_level=ListingLevel.COUNTY,
        listed_at=listed_at,
    )
    await deliver(runtime, hazard_event(E.LISTED, listed, listed_at))
    await run_until(runtime, clock, sh(2026, 5, 12, 0, 0))
    keys = [s.step_key for s in await fired_steps(runtime, unlisted.hazard_id)]
    # 劳动节 1-5 May 2026; the overdue listed hazard reaches raise_listing on 11 May.
    assert keys == [
        "propose_listing",
        "remind_5wd",
        "remind_2wd",
        "overdue_notice",
        "supervision_letter",
        "raise_listing",
    ]
    raise_step = (await fired_steps(runtime, unlisted.hazard_id))[-1]
    assert raise_step.due_at == u(sh(2026, 5, 11, 9, 0))
    assert "county.principal" in [r.value for r in raise_step.target_roles]


def notice(request: Envelope, hazard_id: str, status: NotificationStatus) -> Envelope:
    return Envelope.of(
        NotificationChanged(
            notification_id=f"n-{request.event_id}",
            request_event_id=str(request.event_id),
            hazard_ids=[hazard_id],
            person_id="p-1",
            person_name="王镇长",
            channel=Channel.SMS,
            status=status,
            at=request.occurred_at,
        ),
        aggregate_id=hazard_id,
        producer=Producer.NOTIFICATION,
        occurred_at=request.occurred_at,
    )


async def test_acknowledgement_stops_the_repeats_of_its_step(
    runtime: Runtime, clock: TestClock
) -> None:
    hazard_id = await start_general(runtime, clock)
    await run_until(runtime, clock, sh(2026, 10, 13, 12, 0))
    request = (await outbox_events(runtime, "escalation.step_fired"))[-1]
    assert request.payload["step_key"] == "overdue_3wd"

    await deliver(runtime, notice(request, hazard_id, NotificationStatus.DELIVERED))
    async with runtime.sessionmaker() as session:
        case = await service.get_case(session=session, hazard_id=hazard_id)
    assert case is not None and case.next_fire_at == u(sh(2026, 10, 15, 9, 0))  # the repeat

    await deliver(runtime, notice(request, hazard_id, NotificationStatus.ACKNOWLEDGED))
    await run_until(runtime, clock, sh(2026, 12, 31, 0, 0))
    keys = [(s.step_key, s.repeat_index) for s in await fired_steps(runtime)]
    assert keys == [
        ("remind_3wd", 0),
        ("remind_1wd", 0),
        ("overdue_notice", 0),
        ("overdue_3wd", 0),
        # acknowledged: no repeat on 15 Oct; the ladder itself goes on
        ("supervision_letter", 0),
        ("bulletin", 0),
    ]


async def test_failed_acceptance_with_a_new_deadline_plans_from_the_new_deadline(
    runtime: Runtime, clock: TestClock
) -> None:
    hazard_id = await start_general(runtime, clock)
    reported_at = sh(2026, 9, 30, 16, 0)
    await run_until(runtime, clock, reported_at)
    base = {"hazard_id": hazard_id, "classified_at": CLASSIFIED_AT}
    reported = make_facts(
        **base,
        status=HazardStatus.RECTIFICATION_REPORTED,
        deadline_at=DEADLINE,
        rectification_reported_at=reported_at,
    )
    await deliver(runtime, hazard_event(E.RECTIFICATION_REPORTED, reported, reported_at))
    failed_at = sh(2026, 10, 14, 10, 0)
    await run_until(runtime, clock, failed_at)
    new_deadline = end_of_day(2026, 10, 23)
    failed = make_facts(**base, status=HazardStatus.RECTIFYING, deadline_at=new_deadline)
    await deliver(runtime, hazard_event(E.ACCEPTANCE_FAILED, failed, failed_at))
    await run_until(runtime, clock, sh(2026, 10, 27, 0, 0))

    fired = [(s.step_key, s.repeat_index, s.due_at) for s in await fired_steps(runtime)]
    assert fired == [
        ("remind_3wd", 0, u(sh(2026, 9, 29, 9, 0))),
        ("acceptance_overdue", 0, u(sh(2026, 10, 10, 16, 0))),  # 10 days after the report
        ("acceptance_overdue", 1, u(sh(2026, 10, 12, 16, 0))),  # next working day
        ("acceptance_overdue", 2, u(sh(2026, 10, 13, 16, 0))),
        # the old deadline's overdue steps (9 and 13 Oct) are not fired late: a new deadline
        # was set; reminders end with the rectification report (stop: rectified)
        ("overdue_notice", 0, u(sh(2026, 10, 26, 8, 30))),  # Monday after the new deadline
    ]
