"""HTTP: a case's state and plan; the timeline a policy would give a hazard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from services.escalation.callers import CallerDep, PolicyTester
from services.escalation.cases import service
from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import (
    CaseOut,
    CaseState,
    PlannedStep,
    PolicyPeriod,
    SimulateOut,
    SimulateRequest,
)
from services.escalation.cases.simulation import play
from services.escalation.cases.timeline import Anchors, Planner, Timeline
from services.escalation.policy.loader import PolicySet
from services.escalation.policy.models import Policy, Step
from services.escalation.policy.service import ensure_registered
from services.escalation.runtime import Runtime
from shared.contract import HazardFacts

router = APIRouter(tags=["cases"])


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def planned_steps(steps: Sequence[Step], timeline: Timeline, cursor: int) -> list[PlannedStep]:
    return [
        PlannedStep(
            step_key=steps[o.step_index].key,
            title=steps[o.step_index].title,
            step_index=o.step_index,
            repeat_index=o.repeat_index,
            anchor=steps[o.step_index].anchor,
            action=steps[o.step_index].action,
            urgency=steps[o.step_index].urgency,
            targets=steps[o.step_index].targets,
            due_at=o.due_at,
            provisional=o.provisional,
            status="done" if i < cursor else "planned",
        )
        for i, o in enumerate(timeline)
    ]


CASE_NOT_FOUND = "未找到该隐患的督办案件"


@router.get("/cases/{hazard_id}", response_model=CaseOut)
async def get_case(
    hazard_id: Annotated[str, Path(min_length=1, max_length=100)],
    runtime: RuntimeDep,
    caller: CallerDep,
) -> CaseOut:
    """A hazard's case, for those whose scope covers its unit (others: 404, as if missing)."""
    async with runtime.sessionmaker() as session:
        case = await service.get_case(session=session, hazard_id=hazard_id)
        if case is None or not caller.may_read(HazardFacts.model_validate_json(case.facts)):
            raise HTTPException(status_code=404, detail=CASE_NOT_FOUND)
        await ensure_registered(
            session=session, planner=runtime.planner, snapshot_id=case.snapshot_id
        )
    stopped = case.state == CaseState.STOPPED
    timeline = () if stopped else timeline_of(runtime.planner, case)
    return CaseOut(
        case_id=case.id,
        hazard_id=case.hazard_id,
        state=CaseState(case.state),
        policy_id=case.policy_id,
        policy_version=case.policy_version,
        fence=case.fence,
        cursor=case.cursor,
        next_fire_at=case.next_fire_at,
        fired_count=case.fired_count,
        started_at=case.started_at,
        steps=planned_steps(runtime.planner.steps(case.snapshot_id), timeline, case.cursor),
        history=[PolicyPeriod.model_validate(p) for p in case.history],
    )


@router.post("/simulate", response_model=SimulateOut)
async def simulate(
    body: SimulateRequest, runtime: RuntimeDep, _caller: PolicyTester
) -> SimulateOut:
    """The whole timeline a policy gives these facts, or what it does along a hazard's story
    (to check a policy before adopting it): the county office's tool."""
    if body.events:
        return await simulate_story(body, runtime)
    assert body.facts is not None  # one of facts and events (validated)
    return simulate_facts(body.facts, body.policy, runtime)


def simulate_facts(facts: HazardFacts, policy: Policy | None, runtime: Runtime) -> SimulateOut:
    """The whole timeline `policy` (or the policy in force that fits) gives these facts."""
    policy = policy or runtime.policies.select(facts)
    if policy is None:
        raise HTTPException(status_code=422, detail="没有适用于该隐患的督办策略（请检查隐患等级）")
    anchors = Anchors(
        deadline_at=facts.deadline_at,
        classified_at=facts.classified_at,
        rectification_reported_at=facts.rectification_reported_at,
        acceptance_due_at=facts.acceptance_due_at,
        reported_at=facts.reported_at if facts.level is None else None,
        ordered_at=facts.classified_at if facts.deadline_at else None,
        listed_at=facts.listed_at,
        extension_requested_at=facts.extension_requested_at,
        accepted_at=facts.accepted_at,
    )
    planner: Planner = runtime.planner
    listed = facts.listing_level is not None
    timeline = planner.compute(policy.steps, anchors, paused=False, listed=listed)
    timeline += planner.compute(policy.steps, anchors, paused=True, listed=listed)
    timeline = tuple(sorted(timeline, key=lambda o: o.key))
    return SimulateOut(
        policy_id=policy.id,
        policy_version=policy.version,
        steps=planned_steps(policy.steps, timeline, cursor=0),
    )


async def simulate_story(body: SimulateRequest, runtime: Runtime) -> SimulateOut:
    policies = runtime.policies if body.policy is None else PolicySet([body.policy])
    assert body.until is not None  # required with events (validated)
    story = await play(
        runtime.settings, policies, runtime.planner.calendar, body.events, body.until
    )
    last = story.changes[-1] if story.changes else None
    if last is None:
        raise HTTPException(status_code=422, detail="没有适用于该隐患的督办策略（请检查隐患等级）")
    return SimulateOut(
        policy_id=last.policy_id,
        policy_version=last.policy_version,
        steps=[],
        fired=story.fired,
        changes=story.changes,
    )
