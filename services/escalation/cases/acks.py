"""Acknowledgements (已签收): an acknowledged notice ends the repeats of the step that asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import service
from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import CaseState
from services.escalation.cases.timeline import carry_position
from services.escalation.db import outbox_tables
from services.escalation.policy.models import StopCondition
from services.escalation.policy.service import ensure_registered
from shared.contract import Envelope, NotificationChanged, NotificationStatus, StepFired

if TYPE_CHECKING:
    from services.escalation.cases.flows import CaseFlows


async def on_notification(
    flows: CaseFlows, session: AsyncSession, change: NotificationChanged
) -> None:
    if change.status is not NotificationStatus.ACKNOWLEDGED:
        return
    o = outbox_tables.outbox
    raw = await session.scalar(select(o.c.value).where(o.c.event_id == change.request_event_id))
    if raw is None:
        return
    request = Envelope.parse_message(raw.encode())
    fired = request.typed_payload()
    if not isinstance(fired, StepFired):
        return
    case = await service.get_case_by_id(session=session, case_id=fired.case_id, for_update=True)
    if case is None or case.state == CaseState.STOPPED:
        return
    planner = flows.planner
    await ensure_registered(session=session, planner=planner, snapshot_id=case.snapshot_id)
    steps = planner.steps(case.snapshot_id)
    index = fired.step_index
    if index >= len(steps) or steps[index].key != fired.step_key:
        return
    if steps[index].stop is not StopCondition.ACKNOWLEDGED or index in case.halted:
        return
    old_timeline, old_cursor = timeline_of(planner, case), case.cursor
    case.halted = sorted({*case.halted, index})
    new_timeline = timeline_of(planner, case)
    case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
    await flows.commit_plan(session, case, new_timeline, reason=f"acknowledged: {fired.step_key}")
