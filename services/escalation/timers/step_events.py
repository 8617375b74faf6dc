"""What a fired step publishes: the `escalation.step_fired` envelope, written as JSON by hand
(the scheduler's hot path), with an event id derived from (case, fence, cursor) so that a
duplicate firing could not reach the outbox twice."""

from __future__ import annotations

import hashlib
import json
import uuid

from services.escalation.cases import service
from services.escalation.cases.timeline import Occurrence
from services.escalation.policy.models import Step
from shared.contract import EVENT_TYPES_BY_MODEL, Producer, StepFired

STEP_FIRED = EVENT_TYPES_BY_MODEL[StepFired]
PRODUCER = Producer.ESCALATION.value
STEP_EVENT_NAMESPACE = uuid.UUID("6f1d7c2e-4b8a-5d3e-9a71-0c2b3e4f5a6d")


def step_event_id(case_id: str, fence: int, cursor: int) -> str:
    """`str(uuid.uuid5(STEP_EVENT_NAMESPACE, ...))`, without the UUID object (hot path)."""
    name = f"{case_id}/{fence}/{cursor}".encode()
    digest = bytearray(hashlib.sha1(STEP_EVENT_NAMESPACE.bytes + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def step_fragment(step: Step, *, fallback: bool = False) -> str:
    """The JSON members of a StepFired payload that only depend on the step (`fallback`: the
    hazard has no supervising body, so the step's fallback targets are told)."""
    targets = step.fallback_targets if fallback else step.targets
    members = json.dumps(
        {
            "step_key": step.key,
            "step_title": step.title,
            "action": step.action.value,
            "urgency": step.urgency.value,
            "target_roles": [role.value for role in targets],
            "stop_condition": step.stop.value if step.stop else None,
            "open_ended": step.repeat is not None and step.repeat.open_ended,
        },
        ensure_ascii=False,
    )
    return members[1:-1]


def unsupervised(facts_json: str) -> bool:
    """No supervising department and no township: nobody below the county office to tell."""
    facts = json.loads(facts_json)
    return not facts.get("department_ids") and not facts.get("township_id")


def step_fired_json(
    event_id: str,
    row: service.Claim,
    occurrence: Occurrence,
    fragment: str,
    now_iso: str,
    task_id: str | None = None,
) -> str:
    """The `escalation.step_fired` envelope as JSON, with the case's stored facts spliced in.

    Hand-built because it is the hot path (a generic serialiser costs more than the database
    work); tests parse every fired event back through `Envelope` and `StepFired`.
    """
    hazard = json.dumps(row.hazard_id, ensure_ascii=False)
    accident = f',"accident":{row.accident}' if row.accident else ""
    return (
        f'{{"event_id":"{event_id}","type":"{STEP_FIRED[0]}","version":{STEP_FIRED[1]},'
        f'"occurred_at":"{now_iso}","aggregate_id":{hazard},"producer":"{PRODUCER}",'
        f'"payload":{{"case_id":{json.dumps(row.id)},"hazard_id":{hazard},'
        f'"policy_id":{json.dumps(row.policy_id)},"policy_version":{int(row.policy_version)},'
        f'{fragment},"step_index":{occurrence.step_index},'
        f'"repeat_index":{occurrence.repeat_index},'
        f'"due_at":"{occurrence.due_at.isoformat()}","fired_at":"{now_iso}",'
        f'"task_id":{json.dumps(task_id)},"facts":{row.facts}{accident}}}}}'
    )
