"""Policy snapshots in the database (keyword-only `session`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.timeline import Planner
from services.escalation.policy.loader import PolicyLoadError, PolicySet, digest
from services.escalation.policy.models import Policy, PolicySnapshot, Step, StepsSnapshot


async def ensure_snapshot(*, session: AsyncSession, policy: Policy, now: datetime) -> int:
    """The snapshot id of this exact policy text; a changed text needs a new version."""
    row = await session.scalar(
        select(PolicySnapshot).where(
            PolicySnapshot.policy_id == policy.id, PolicySnapshot.version == policy.version
        )
    )
    text_digest = digest(policy)
    if row is not None:
        # A snapshot written before a field was added to the model has another digest for
        # the same text: the steps as parsed today decide.
        if row.digest != text_digest and not _same_steps(row, policy):
            raise PolicyLoadError(
                f"policy {policy.id} version {policy.version} differs from the version already "
                "in use; cases started under it keep the old steps, so raise 'version' when "
                "changing a policy"
            )
        return row.id
    row = PolicySnapshot(
        policy_id=policy.id,
        version=policy.version,
        digest=text_digest,
        title=policy.title,
        steps=StepsSnapshot(steps=policy.steps).model_dump(mode="json"),
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


def _same_steps(row: PolicySnapshot, policy: Policy) -> bool:
    frozen = StepsSnapshot.model_validate(row.steps).steps
    return row.title == policy.title and frozen == policy.steps


async def ensure_snapshots(
    *, session: AsyncSession, policies: PolicySet, now: datetime
) -> dict[str, int]:
    return {
        p.id: await ensure_snapshot(session=session, policy=p, now=now) for p in policies.policies
    }


async def load_steps(*, session: AsyncSession, snapshot_id: int) -> tuple[Step, ...]:
    row = await session.get(PolicySnapshot, snapshot_id)
    if row is None:
        raise LookupError(f"policy snapshot {snapshot_id} not found")
    return tuple(StepsSnapshot.model_validate(row.steps).steps)


async def ensure_registered(*, session: AsyncSession, planner: Planner, snapshot_id: int) -> None:
    """Make the planner know a snapshot (another process may have started the case)."""
    if not planner.knows(snapshot_id):
        planner.register(snapshot_id, await load_steps(session=session, snapshot_id=snapshot_id))
