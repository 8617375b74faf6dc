"""An accident's statutory clocks on its own escalation case (#15).

The accident's first event starts a case under the accident policy (`accident-clocks.yaml`);
each clock is an anchor on it, set from the accident's facts until the event that fulfils the
clock clears it: 签发 of a report ends the 2-hour upward report, the investigation report ends
the investigation clock and starts the 批复's, the 批复 ends that, the close stops the case. An
extension moves its anchor. The scheduler fires the steps exactly once like any case's; with
an anchor gone its steps are gone from the plan, so a clock once done is silent.

Two flags become tasks here as well: a 瞒报 review for the county office, and the 漏报 chase
(the missing items) for the township, each closed when the facts say it is settled.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.accidents.alerts import unit_facts
from services.escalation.cases import service
from services.escalation.cases.anchors import timeline_of
from services.escalation.cases.models import Case, CaseState
from services.escalation.cases.timeline import carry_position
from services.escalation.policy.loader import parse_policy_file
from services.escalation.policy.models import Policy
from services.escalation.policy.service import ensure_registered
from services.escalation.tasks.flows import RaisedTask, close_task, raise_task
from services.escalation.tasks.models import Task
from shared.contract import (
    AccidentEvent,
    AccidentEventType,
    AccidentFacts,
    AccidentStatus,
    ChainRole,
    TaskKind,
    TaskState,
)

if TYPE_CHECKING:
    from services.escalation.cases.flows import CaseFlows

log = logging.getLogger(__name__)

DEFAULT_POLICY_FILE = Path(__file__).parent / "accident-clocks.yaml"
UPWARD_REPORT = timedelta(hours=2)  # 第九条: each level up within 2 hours of receipt
# 第十三条: casualty changes within 30 days, 7 for road traffic and fire.
SHORT_WINDOW_TYPES = frozenset({"road_traffic", "fire"})
TASK_NAMESPACE = uuid.UUID("0b6a4f1e-2c3d-5e7f-8a9b-1c2d3e4f5a6b")
# How long the county office has for a 瞒报 review (a working judgement, not a statute).
REVIEW_DAYS = 3
CHANNEL_WORDS = {
    "hospital": "医院",
    "public": "群众举报",
    "media": "媒体报道",
    "higher_authority": "上级交办",
    "phone": "电话接报",
}


def load_policy(path: Path | None) -> Policy:
    return parse_policy_file(path or DEFAULT_POLICY_FILE)


def supplement_ends(a: AccidentFacts) -> datetime:
    days = 7 if a.accident_type in SHORT_WINDOW_TYPES else 30
    return a.occurred_at + timedelta(days=days)


def absorb(case: Case, a: AccidentFacts, *, at: datetime) -> None:
    """The clocks as the accident's facts set them: each anchor only while its clock runs."""
    case.facts = unit_facts(a).model_dump_json()
    case.accident = a.model_dump_json()
    open_ = a.status is AccidentStatus.REPORTED
    case.upward_report_due_at = None if a.upward_reported_at else a.received_at + UPWARD_REPORT
    case.supplement_ends_at = supplement_ends(a)
    investigating = open_ and a.investigation_reported_at is None
    case.investigation_due_at = a.investigation_due_at if investigating else None
    deciding = a.status is AccidentStatus.INVESTIGATION_REPORTED
    case.decision_due_at = a.decision_due_at if deciding else None
    case.items_missing_at = (case.items_missing_at or at) if a.missing_items else None


async def on_accident(
    flows: CaseFlows, session: AsyncSession, event: AccidentEvent, *, at: datetime
) -> None:
    """In the consumer's transaction (a redelivered event is skipped by the consumer)."""
    policy = flows.accident_policy
    if policy is None:
        return
    a = event.facts
    case = await service.get_case(session=session, hazard_id=a.accident_id, for_update=True)
    if case is None:
        if a.status is AccidentStatus.CLOSED:
            return
        case = flows.new_case(a.accident_id, policy, at=at)
        absorb(case, a, at=at)
        session.add(case)
        await flows.replan(session, case, reason="started", cursor_from=at)
    else:
        await replan(flows, session, case, event, at=at)
    await sync_tasks(session, case, event, at=at, now=flows.clock.now())


async def replan(
    flows: CaseFlows, session: AsyncSession, case: Case, event: AccidentEvent, *, at: datetime
) -> None:
    await ensure_registered(session=session, planner=flows.planner, snapshot_id=case.snapshot_id)
    a = event.facts
    if case.state == CaseState.STOPPED:
        case.accident = a.model_dump_json()
        return
    if a.status is AccidentStatus.CLOSED:
        absorb(case, a, at=at)
        await flows.stop(session, case, reason=event.event.value)
        return
    old_timeline, old_cursor = timeline_of(flows.planner, case), case.cursor
    absorb(case, a, at=at)
    new_timeline = timeline_of(flows.planner, case)
    if new_timeline != old_timeline:
        # What fired stays fired; a clock that ended drops out, a moved one follows its anchor.
        case.cursor = carry_position(old_timeline, old_cursor, new_timeline)
        await flows.commit_plan(session, case, new_timeline, reason=f"replanned: {event.event}")


def task_id(accident_id: str, kind: TaskKind) -> str:
    return str(uuid.uuid5(TASK_NAMESPACE, f"{accident_id}/{kind.value}"))


def concealment_task(case: Case, a: AccidentFacts, at: datetime) -> RaisedTask:
    source = CHANNEL_WORDS.get(a.channel, a.channel)
    return RaisedTask(
        task_id=task_id(a.accident_id, TaskKind.CONCEALMENT_REVIEW),
        case_id=case.id,
        hazard_id=a.accident_id,
        kind=TaskKind.CONCEALMENT_REVIEW,
        title=f"瞒报核查：{a.unit_name}事故（{a.code}）首报来自{source}，未见企业报告，请核查是否瞒报",
        assignee=ChainRole.COUNTY_OFFICE,
        step_key="concealment_review",
        repeat_index=0,
        due_at=at + timedelta(days=REVIEW_DAYS),
        facts=unit_facts(a),
    )


def missing_items_task(case: Case, a: AccidentFacts, at: datetime) -> RaisedTask:
    return RaisedTask(
        task_id=task_id(a.accident_id, TaskKind.MISSING_ITEMS),
        case_id=case.id,
        hazard_id=a.accident_id,
        kind=TaskKind.MISSING_ITEMS,
        title=f"漏报：{a.unit_name}事故（{a.code}）快报缺少{'、'.join(a.missing_items)}，请督促补报",
        assignee=ChainRole.TOWNSHIP_PRINCIPAL,
        step_key="items_chase",
        repeat_index=0,
        due_at=at + UPWARD_REPORT,
        facts=unit_facts(a),
    )


async def sync_tasks(
    session: AsyncSession, case: Case, event: AccidentEvent, *, at: datetime, now: datetime
) -> None:
    """Open the task a flag raises (once); close it when the facts say it is settled."""
    a = event.facts
    wanted = {
        TaskKind.CONCEALMENT_REVIEW: (a.concealment_review, concealment_task, "已记录核查结论"),
        TaskKind.MISSING_ITEMS: (bool(a.missing_items), missing_items_task, "缺项已补报"),
    }
    raising = {
        AccidentEventType.CONCEALMENT_REVIEW_OPENED: TaskKind.CONCEALMENT_REVIEW,
        AccidentEventType.INCOMPLETE_FLAGGED: TaskKind.MISSING_ITEMS,
    }
    for kind, (flagged, build, settled) in wanted.items():
        task = await session.get(Task, task_id(a.accident_id, kind))
        if task is None and flagged and raising.get(event.event) is kind:
            await raise_task(session, build(case, a, at), namespace=TASK_NAMESPACE, now=now)
        elif task is not None and not flagged and task.state == TaskState.OPEN.value:
            by = a.actor_person_id or "system"
            await close_task(session, task, closed_by=by, note=settled, now=now)
