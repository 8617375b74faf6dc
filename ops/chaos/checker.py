"""What a chaos run must not have done: lose, duplicate or reorder what people are told.

The checker compares what the system planned (its databases) with what the outside world
received (the SMS provider's own record, the SMTP server's own record):

- lost: a hazard without its escalation case; a listed hazard none of whose steps fired; a
  step whose time had come that never fired (an active case whose timer is overdue when the
  run has settled); a fired step (with people to tell) that never became a notification
  request; a notice never sent, unless notification withdrew it because the hazard's case
  later overtook it (stopped; or, for a step that stops on rectification, paused or accepted
  — the rule of services/notification/intake/withdrawal.py); a planned delivery (dispatch,
  person, channel) of which neither the provider nor the SMTP server has a record;
- duplicates: more than one received message for one (item, step, person, channel). An SMS
  counts once per record the provider accepted; an email once per `Message-ID` (email has no
  status query, so a resend after a crash is possible, and carries the same id);
- reordered: for one (item, person, channel), a message arriving after one about a step of
  the same item that fired later.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class StepFired:
    event_id: str
    hazard_id: str
    step_key: str
    repeat_index: int
    fired_at: datetime
    step_index: int = 0
    # Listing re-plans a case under another policy, whose steps may share keys (`order`).
    policy_id: str = ""
    stop_condition: str | None = None

    @property
    def order(self) -> tuple[datetime, int, int]:
        return (self.fired_at, self.step_index, self.repeat_index)


@dataclass(frozen=True)
class CaseChange:
    """An escalation `CaseChanged`: what may withdraw the notices of earlier steps."""

    hazard_id: str
    state: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Notice:
    request_id: str  # the StepFired event id
    person_id: str
    dispatch_id: str | None
    status: str  # waiting, bundled, superseded, withdrawn


@dataclass(frozen=True)
class Delivery:
    id: int
    dispatch_id: str
    person_id: str
    channel: str  # sms, email
    # SMS: what the provider's record knows each attempt by (`sms_key`)
    out_ids: tuple[str, ...] = ()
    # SMS: refused by every provider's cap for the number and sent by email instead (the
    # service's recorded reason); it counts as arrived when that email arrived.
    redirected: bool = False


@dataclass(frozen=True)
class Received:
    """One message in the provider's or the SMTP server's own record."""

    channel: str
    key: str  # SMS: `sms_key(OutId, number)`; email: `email_key(Message-ID)`
    at: datetime


@dataclass
class Records:
    hazards: list[str] = field(default_factory=list)
    cases: set[str] = field(default_factory=set)  # hazard ids with a case
    # Listed hazards (挂牌): their policy's first steps fire at once, so some step must have.
    listed: set[str] = field(default_factory=set)
    # Active cases whose next step was due (well) before the end and did not fire: hazard → due.
    overdue: dict[str, datetime] = field(default_factory=dict)
    steps: list[StepFired] = field(default_factory=list)  # fired, with people to tell
    changes: list[CaseChange] = field(default_factory=list)
    requests: set[str] = field(default_factory=set)  # StepFired event ids notification has
    notices: list[Notice] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


@dataclass
class Verdict:
    lost: int = 0
    duplicates: int = 0
    reordered: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicates or self.reordered)


def sms_key(out_id: str, phone: str) -> str:
    """An SMS as the provider recorded it: a batch (SendBatchSms) has one OutId for all its
    numbers, and notification's attempt of its i-th number has OutId `<batch>.<i>`."""
    return f"{out_id.partition('.')[0]}|{phone}"


def email_key(message_id: str) -> str:
    """`<dispatch.delivery@domain>` (notification's `providers/email.message_id`) → the part
    naming the delivery, the same for every resend of it."""
    return message_id.strip().strip("<>").rpartition("@")[0]


def overtaken(step: StepFired, changes: list[CaseChange]) -> bool:
    """Whether a later change of the step's case warranted withdrawing its notices."""
    for change in changes:
        if change.hazard_id != step.hazard_id or change.at < step.fired_at:
            continue
        if change.state == "stopped":
            return True
        if change.reason in ("paused", "accepted") and step.stop_condition == "rectified":
            return True
    return False


def check(records: Records) -> Verdict:
    verdict = Verdict()

    def lose(what: str) -> None:
        verdict.lost += 1
        verdict.problems.append("lost: " + what)

    for hazard_id in records.hazards:
        if hazard_id not in records.cases:
            lose(f"hazard {hazard_id} has no escalation case")
    for hazard_id, due in sorted(records.overdue.items()):
        lose(f"the case of {hazard_id} had a step due at {due} that never fired")
    fired_for = {s.hazard_id for s in records.steps}
    for hazard_id in sorted(records.listed - fired_for):
        lose(f"listed hazard {hazard_id}: no escalation step ever fired")
    steps = {s.event_id: s for s in records.steps}
    for fired in records.steps:
        if fired.event_id not in records.requests:
            lose(
                f"step {fired.step_key}#{fired.repeat_index} of {fired.hazard_id} "
                "never reached notification"
            )

    # Which received message carried which delivery.
    by_key: dict[tuple[str, str], list[Received]] = defaultdict(list)
    for message in records.received:
        by_key[(message.channel, message.key)].append(message)
    arrivals: dict[int, list[Received]] = {}
    for delivery in records.deliveries:
        if delivery.channel == "email":
            mid = f"{delivery.dispatch_id}.{delivery.id}"
            got = by_key.get(("email", mid), [])[:1]  # one Message-ID counts once
        else:
            got = [
                m for out_id in delivery.out_ids for m in by_key.get((delivery.channel, out_id), [])
            ]
        arrivals[delivery.id] = got
    for delivery in records.deliveries:
        if arrivals[delivery.id]:
            continue
        if delivery.redirected and any(
            arrivals[other.id]
            for other in records.deliveries
            if other.channel == "email"
            and (other.dispatch_id, other.person_id) == (delivery.dispatch_id, delivery.person_id)
        ):
            continue  # the caps redirected it, and the email of its dispatch arrived
        lose(
            f"{delivery.channel} delivery {delivery.id} "
            f"(dispatch {delivery.dispatch_id}) never arrived"
            + (" (redirected to email, which never arrived either)" if delivery.redirected else "")
        )

    # Each notice: what reached its person, per channel.
    deliveries_of: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for delivery in records.deliveries:
        deliveries_of[(delivery.dispatch_id, delivery.person_id)].append(delivery)
    per_step: dict[tuple[str, str, str, int, str, str], int] = defaultdict(int)
    per_person: dict[tuple[str, str, str], list[tuple[datetime, tuple[datetime, int, int]]]]
    per_person = defaultdict(list)
    for notice in records.notices:
        step = steps.get(notice.request_id)
        if step is None or notice.status == "superseded":
            continue
        if notice.status == "withdrawn" and overtaken(step, records.changes):
            continue
        if notice.dispatch_id is None:
            lose(f"notice of {step.step_key} for {notice.person_id} ({step.hazard_id}) never sent")
            continue
        planned = deliveries_of.get((notice.dispatch_id, notice.person_id), [])
        if not planned:
            lose(f"dispatch {notice.dispatch_id} for {notice.person_id} has no delivery")
        for delivery in planned:
            for message in arrivals.get(delivery.id, []):
                per_step[
                    (
                        step.hazard_id,
                        step.policy_id,
                        step.step_key,
                        step.repeat_index,
                        notice.person_id,
                        delivery.channel,
                    )
                ] += 1
                per_person[(step.hazard_id, notice.person_id, delivery.channel)].append(
                    (message.at, step.order)
                )
    for step_key, count in sorted(per_step.items()):
        if count > 1:
            verdict.duplicates += count - 1
            verdict.problems.append(f"duplicate: {step_key} received {count} times")
    for key, seen in sorted(per_person.items()):
        latest: tuple[datetime, int, int] | None = None
        for _, order in sorted(seen):
            if latest is not None and order < latest:
                verdict.reordered += 1
                verdict.problems.append(
                    f"reordered: {key} got a step fired at {order[0]} "
                    f"after one fired at {latest[0]}"
                )
            latest = order if latest is None else max(latest, order)
    return verdict
