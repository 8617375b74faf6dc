"""HTTP: the policies in force and every version frozen onto cases (the 升级策略 page)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from services.escalation.callers import Supervisor
from services.escalation.cases.models import Case
from services.escalation.policy.models import Match, PolicySnapshot, Step, StepsSnapshot
from services.escalation.runtime import Runtime

router = APIRouter(tags=["policies"])


class PolicyVersionOut(BaseModel):
    version: int
    title: str
    frozen_at: datetime
    steps: list[Step]
    in_force: bool  # the version loaded now (new cases start under it)
    cases: int  # cases running under this version now


class PolicyOut(BaseModel):
    policy_id: str
    title: str
    priority: int
    match: Match | None  # none: the policy is no longer loaded (old cases may still use it)
    version_in_force: int | None
    versions: list[PolicyVersionOut]


@router.get(
    "/policies",
    response_model=list[PolicyOut],
    summary="督办策略及其版本",
    description=(
        "现行督办策略（适用条件、步骤），以及每个策略已冻结到案件上的全部版本和"
        "正在按各版本运行的案件数。仅县安委办和县领导可调用。"
    ),
)
async def list_policies(request: Request, _caller: Supervisor) -> list[PolicyOut]:
    runtime: Runtime = request.app.state.runtime
    async with runtime.sessionmaker() as session:
        snapshots = list(
            await session.scalars(
                select(PolicySnapshot).order_by(PolicySnapshot.policy_id, PolicySnapshot.version)
            )
        )
        counts = dict(
            (
                await session.execute(
                    select(Case.snapshot_id, func.count()).group_by(Case.snapshot_id)
                )
            ).all()
        )
    loaded = runtime.policies.by_id
    ids = [p.id for p in runtime.policies.policies]
    ids += sorted({s.policy_id for s in snapshots} - set(ids))
    out = []
    for pid in ids:
        policy = loaded.get(pid)
        frozen = [s for s in snapshots if s.policy_id == pid]
        out.append(
            PolicyOut(
                policy_id=pid,
                title=policy.title if policy else frozen[-1].title,
                priority=policy.priority if policy else 0,
                match=policy.match if policy else None,
                version_in_force=policy.version if policy else None,
                versions=[
                    PolicyVersionOut(
                        version=s.version,
                        title=s.title,
                        frozen_at=s.created_at,
                        steps=StepsSnapshot.model_validate(s.steps).steps,
                        in_force=policy is not None and policy.version == s.version,
                        cases=counts.get(s.id, 0),
                    )
                    for s in reversed(frozen)
                ],
            )
        )
    return out
