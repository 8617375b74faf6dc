"""HTTP for the 督办看板: where a set of hazards stands on its ladder, and the timeline the
policies in force would give one hazard today (the county office and county leaders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import AwareDatetime, BaseModel, StringConstraints
from sqlalchemy import select

from services.escalation.callers import Supervisor
from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import Case, CaseState, PlannedStep, SimulateOut
from services.escalation.cases.views import (
    CASE_NOT_FOUND,
    RuntimeDep,
    planned_steps,
    simulate_facts,
)
from services.escalation.policy.service import ensure_registered
from shared.contract import HazardFacts
from shared.text_fields import Blankable, Printable

router = APIRouter(tags=["board"])

# One board page asks for the overdue hazards it shows; more is a paging bug, not a board.
MAX_HAZARDS = 500
# An id the database can be asked about (no control characters: PostgreSQL refuses NUL).
HazardId = Annotated[str, StringConstraints(min_length=1, max_length=100), Printable, Blankable]


class CaseStage(BaseModel):
    """A case's place on its ladder: the last step that fired and the next one due."""

    hazard_id: str
    case_id: str
    state: CaseState
    policy_id: str
    policy_version: int
    fired_count: int
    done_steps: int
    total_steps: int
    current: PlannedStep | None  # the last step done (none yet: the ladder has not started)
    next: PlannedStep | None
    next_fire_at: AwareDatetime | None


@router.get(
    "/cases",
    response_model=list[CaseStage],
    summary="一批隐患的督办阶段（督办看板）",
    description=(
        "按 `hazard_id`（可重复，最多 500 个）返回各隐患督办案件当前所处的阶梯阶段："
        "已执行的最后一步、下一步及其时间。没有督办案件的隐患不在结果中。"
        "仅县安委办和县领导可调用（其他角色 403）。"
    ),
)
async def case_stages(
    runtime: RuntimeDep,
    _caller: Supervisor,
    hazard_id: Annotated[list[HazardId], Query(min_length=1, max_length=MAX_HAZARDS)],
) -> list[CaseStage]:
    wanted = sorted(set(hazard_id))
    out = []
    async with runtime.sessionmaker() as session:
        cases = (await session.scalars(select(Case).where(Case.hazard_id.in_(wanted)))).unique()
        for case in cases:
            await ensure_registered(
                session=session, planner=runtime.planner, snapshot_id=case.snapshot_id
            )
            stopped = case.state == CaseState.STOPPED
            timeline = () if stopped else timeline_of(runtime.planner, case)
            steps = planned_steps(runtime.planner.steps(case.snapshot_id), timeline, case.cursor)
            done = [s for s in steps if s.status == "done"]
            upcoming = [s for s in steps if s.status != "done"]
            out.append(
                CaseStage(
                    hazard_id=case.hazard_id,
                    case_id=case.id,
                    state=CaseState(case.state),
                    policy_id=case.policy_id,
                    policy_version=case.policy_version,
                    fired_count=case.fired_count,
                    done_steps=len(done),
                    total_steps=len(steps),
                    current=done[-1] if done else None,
                    next=upcoming[0] if upcoming else None,
                    next_fire_at=case.next_fire_at,
                )
            )
    return sorted(out, key=lambda s: s.hazard_id)


@router.get(
    "/cases/{hazard_id}/simulation",
    response_model=SimulateOut,
    summary="按现行策略推演某隐患的督办时间线",
    description=(
        "以该隐患督办案件记录的最新事实，按现行（已加载的）策略推演全部步骤及时间，"
        "可与案件冻结的策略版本对照；`policy_id` 可指定另一现行策略。"
        "仅县安委办和县领导可调用。"
    ),
)
async def case_simulation(
    hazard_id: Annotated[HazardId, Path()],
    runtime: RuntimeDep,
    _caller: Supervisor,
    policy_id: Annotated[
        str | None, Query(max_length=80, pattern=r"^[a-z][a-z0-9_-]{0,79}$")
    ] = None,
) -> SimulateOut:
    async with runtime.sessionmaker() as session:
        case = await session.scalar(select(Case).where(Case.hazard_id == hazard_id))
    if case is None:
        raise HTTPException(status_code=404, detail=CASE_NOT_FOUND)
    policy = None
    if policy_id:
        policy = runtime.policies.by_id.get(policy_id)
        if policy is None:
            raise HTTPException(status_code=404, detail="没有这个现行督办策略")
    return simulate_facts(HazardFacts.model_validate_json(case.facts), policy, runtime)
