"""escalation.events: steps fired, cases, tasks, report reminders, anomalies."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from shared.contract.accidents import AccidentFacts, CampaignFacts, SuspensionFacts
from shared.contract.base import Payload
from shared.contract.documents import DocumentRef
from shared.contract.hazards import HazardFacts
from shared.contract.vocabulary import ChainRole, EscalationAction, TaskKind, Urgency


class StepFired(Payload):
    """An escalation step fired: notify these chain roles about this hazard."""

    case_id: str
    hazard_id: str
    policy_id: str
    policy_version: int
    step_key: str
    step_index: int
    repeat_index: int = 0
    action: EscalationAction
    urgency: Urgency
    target_roles: list[ChainRole]
    due_at: AwareDatetime
    fired_at: AwareDatetime
    stop_condition: str | None = None
    facts: HazardFacts
    # Added for county practice (#11); optional so older events still parse.
    step_title: str | None = None  # the policy's words for the step, e.g. 逾期未整改持续督办
    # Repeats of an open-ended step (until the hazard is closed) number on: 第N次.
    open_ended: bool = False
    task_id: str | None = None  # the task this step created (action `task`)
    # An accident's step (#15): `hazard_id` is then the accident's id and `facts` carry its
    # unit (the chain is resolved from them as for a hazard); the accident itself is here.
    accident: AccidentFacts | None = None
    # The issued document the notice concerns (#14): the texts cite its 文号 and the proof of
    # service shows it.
    document: DocumentRef | None = None
    # A campaign's 催办 (#15): `facts.unit_id` is then the township or department chased, and
    # `pending` how many of its enterprises have not passed 复工复产验收.
    campaign: CampaignFacts | None = None
    pending: int | None = None
    # A 停产整顿 order's 复工复产 step: `facts.unit_id` is then the unit whose principal acts
    # (the township, a department or the enterprise), `facts.unit_name` the enterprise's.
    suspension: SuspensionFacts | None = None


class CaseChanged(Payload):
    """A case started, was re-baselined, paused, resumed or stopped."""

    case_id: str
    hazard_id: str
    state: str
    policy_id: str
    policy_version: int
    next_fire_at: AwareDatetime | None = None
    reason: str
    # Set when the case switched policy (re-selection): the version it left.
    previous_policy_id: str | None = None
    previous_policy_version: int | None = None
    # The hazard's facts as the case now has them (a moved deadline): notification brings the
    # notices still waiting up to date with them. Optional: older events lack it.
    facts: HazardFacts | None = None


class TaskCreated(Payload):
    """An escalation step created a task for a person to decide on (escalation.task_created)."""

    task_id: str
    case_id: str | None  # None for a campaign's task (no case chases a campaign)
    hazard_id: str
    kind: TaskKind
    title: str
    assignee_role: ChainRole
    step_key: str
    repeat_index: int = 0
    due_at: AwareDatetime
    created_at: AwareDatetime
    facts: HazardFacts


class TaskClosed(Payload):
    """A person closed a task with a note (escalation.task_closed)."""

    task_id: str
    case_id: str | None
    hazard_id: str
    kind: TaskKind
    closed_by: str
    note: str
    closed_at: AwareDatetime


class ReportKind(StrEnum):
    QUARTERLY = "quarterly"  # 季报
    YEARLY = "yearly"  # 年报


class ReportDue(Payload):
    """An enterprise's own statistics report (事故隐患排查治理情况统计) falls due: remind these
    roles of every operating enterprise (escalation.report_due). One event per reminder
    (period and lead time), emitted once."""

    reminder_id: str
    kind: ReportKind
    year: int = Field(ge=2000, le=9999)
    quarter: int | None = Field(default=None, ge=1, le=4)  # None for the yearly report
    due_date: date  # the last day to report, a Beijing calendar date
    lead_days: int = Field(ge=0)
    target_roles: list[ChainRole]
    remind_at: AwareDatetime


class AuditorAnomaly(Payload):
    case_id: str
    hazard_id: str
    kind: str
    detail: str
