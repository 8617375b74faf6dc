"""Planned calls, and SMS batches: texts due together that share a provider and template go
out in one Aliyun SendBatchSms call (up to 100 numbers, its own parameters for each).

Each member keeps its own delivery-log attempt, written before the call like any other; its
out_id is "<batch>.<i>" while the provider knows the batch by OutId "<batch>" and answers with
one BizId for all. So crash reconciliation asks per number for the batch's OutId, and
receipts are matched on BizId and number together. The provider answers for the whole batch:
accepted, transient (5xx, timeout) and throttled answers count for every member as they would
for a single send (retry, then fail over per number); a refused batch is retried one number at
a time, each retry a new attempt row, so one bad number does not fail the rest.

Urgent texts are never batched: Aliyun warns that SendBatchSms may be delayed when its
capacity is short and advises SendSms for time-critical messages. Routine reminders (the bulk,
e.g. everything held back by quiet hours going out at 08:00) are what batches carry.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.notification.delivery.models import AttemptOutcome, Delivery
from services.notification.delivery.outcomes import AttemptUpdate
from services.notification.providers.base import (
    BatchSmsProvider,
    Outcome,
    SendResult,
    SmsMessage,
    SmsProvider,
    mainland_number,
    member_out_id,
)
from services.notification.providers.email import Email
from shared.contract import Channel

AttemptRow = dict[str, Any]  # a delivery_attempts row to insert


@dataclass
class Plan:
    """One message to send, its attempt row already written (outcome pending)."""

    delivery_id: int
    out_id: str  # of its attempt row
    channel: Channel
    provider: SmsProvider | None
    sms: SmsMessage | None = None
    email: Email | None = None
    batch: str | None = None  # the OutId of the SendBatchSms call this text goes out in
    urgent: bool = False


@dataclass
class Batch:
    provider: BatchSmsProvider
    out_id: str
    members: list[Plan]

    def messages(self) -> list[SmsMessage]:
        return [m.sms for m in self.members if m.sms is not None]


def form_batches(planned: list[tuple[Plan, AttemptRow]]) -> list[Batch]:
    """Group SMS plans by provider and template code into batches of at most the provider's
    batch size, and name each member's attempt "<batch>.<i>" (call before the attempt rows
    are flushed). A group of one stays a single send; so does anything else."""
    groups: dict[tuple[str, str], list[tuple[Plan, AttemptRow]]] = defaultdict(list)
    batching: dict[str, bool] = {}  # a Protocol isinstance check is slow: once per provider
    for plan, attempt in planned:
        provider = plan.provider
        if plan.sms is None or provider is None or plan.urgent or provider.config.batch_size < 2:
            continue
        if provider.name not in batching:
            batching[provider.name] = isinstance(provider, BatchSmsProvider)
        if not batching[provider.name]:
            continue
        mapping = provider.config.templates.get(plan.sms.template)
        if mapping is None:
            continue  # the single send reports the missing mapping
        groups[(provider.name, mapping.code)].append((plan, attempt))
    batches: list[Batch] = []
    for members in groups.values():
        provider = members[0][0].provider
        assert isinstance(provider, BatchSmsProvider)
        for chunk in _chunks(members, provider.config.batch_size):
            if len(chunk) < 2:
                continue
            batch = Batch(provider, uuid.uuid4().hex, [])
            for i, (plan, attempt) in enumerate(chunk):
                assert plan.sms is not None
                plan.out_id = attempt["out_id"] = member_out_id(batch.out_id, i)
                plan.sms = replace(plan.sms, out_id=plan.out_id)
                plan.batch = batch.out_id
                batch.members.append(plan)
            batches.append(batch)
    return batches


def _chunks(
    members: list[tuple[Plan, AttemptRow]], size: int
) -> list[list[tuple[Plan, AttemptRow]]]:
    """At most `size` each, and a number at most once in each: a batch's texts share one
    BizId, so a receipt (BizId + number) must name exactly one of them."""
    chunks: list[list[tuple[Plan, AttemptRow]]] = []
    numbers: list[set[str]] = []
    for plan, attempt in members:
        assert plan.sms is not None
        number = mainland_number(plan.sms.phone)
        for chunk, seen in zip(chunks, numbers, strict=True):
            if len(chunk) < size and number not in seen:
                break
        else:
            chunk, seen = [], set()
            chunks.append(chunk)
            numbers.append(seen)
        chunk.append((plan, attempt))
        seen.add(number)
    return chunks


def refused(plan: Plan, result: SendResult) -> bool:
    """A member of a batch the provider refused as a whole: to be retried on its own."""
    return plan.batch is not None and plan.sms is not None and result.outcome == Outcome.PERMANENT


def retry_singly(
    plan: Plan, attempt: AttemptUpdate, delivery: Delivery, result: SendResult, now: datetime
) -> tuple[Plan, AttemptRow]:
    """Record the refusal on the member's attempt and write the attempt of its single send
    (outcome pending, committed before the call like every other)."""
    assert plan.sms is not None
    attempt.outcome = AttemptOutcome.PERMANENT
    attempt.detail = f"批量发送被拒，逐个重发：{result.detail}"[:2000]
    attempt.finished_at = now
    out_id = uuid.uuid4().hex
    retry = attempt_row(
        delivery, out_id=out_id, channel=plan.channel, provider=attempt.provider, now=now
    )
    delivery.attempts += 1
    delivery.updated_at = now
    sms = replace(plan.sms, out_id=out_id)
    return Plan(delivery.id, out_id, plan.channel, plan.provider, sms), retry


def attempt_row(
    delivery: Delivery, *, out_id: str, channel: str, provider: str, now: datetime
) -> AttemptRow:
    """A delivery-log attempt, outcome pending: written (one multi-row insert for all of a
    pass) and committed before the call."""
    return {
        "delivery_id": delivery.id,
        "out_id": out_id,
        "channel": channel,
        "provider": provider,
        "address": delivery.address,
        "content_hash": delivery.content_hash,
        "outcome": AttemptOutcome.PENDING,
        "detail": None,
        "provider_message_id": None,
        "started_at": now,
        "finished_at": None,
        "next_check_at": None,
    }
