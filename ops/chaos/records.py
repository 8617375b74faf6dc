"""Reading what the checker compares: the three services' databases and the outside records.

The databases are read directly (not through the fault proxy) once the run has settled; the
SMS provider's record is the emulator's list of accepted texts, the SMTP server's is the list
of messages `MailRecorder` received.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ops.chaos.checker import (
    CaseChange,
    Delivery,
    Notice,
    Received,
    Records,
    StepFired,
    email_key,
    sms_key,
)
from services.notification.delivery.caps import REDIRECTED_TO_EMAIL


@dataclass
class MailRecorder:
    """An aiosmtpd handler keeping every message's Message-ID and arrival time."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=default_policy)
        self.received.append(
            Received("email", email_key(str(message["Message-ID"] or "")), datetime.now(UTC))
        )
        return "250 OK"


async def rows(url: str, sql: str) -> list[Mapping[str, Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(text(sql))).mappings()]
    finally:
        await engine.dispose()


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


# Due timers of active cases; a step due a few virtual minutes ago may still be firing.
OVERDUE = """
SELECT c.hazard_id, t.due_at FROM cases c JOIN case_timers t ON t.case_id = c.id
WHERE c.state = 'active' AND t.due_at IS NOT NULL AND t.due_at < '{before}'
"""


async def read_records(
    urls: Mapping[str, str], sms: Iterable[Any], mail: Iterable[Received], now: datetime
) -> Records:
    """`urls`: service → database URL; `sms`: the emulator's `Accepted` records; `now`: the
    services' (virtual) time."""
    records = Records()
    records.hazards = [r["id"] for r in await rows(urls["hazard_api"], "SELECT id FROM hazards")]
    records.listed = {
        r["id"]
        for r in await rows(
            urls["hazard_api"], "SELECT id FROM hazards WHERE listing_level IS NOT NULL"
        )
    }
    records.cases = {
        r["hazard_id"] for r in await rows(urls["escalation"], "SELECT hazard_id FROM cases")
    }
    before = (now - timedelta(minutes=10)).isoformat()
    records.overdue = {
        r["hazard_id"]: _when(r["due_at"])
        for r in await rows(urls["escalation"], OVERDUE.format(before=before))
    }
    for row in await rows(urls["escalation"], "SELECT event_id, value FROM outbox"):
        envelope = json.loads(row["value"])
        payload = envelope.get("payload", {})
        if envelope.get("type") == "escalation.case_changed":
            records.changes.append(
                CaseChange(
                    hazard_id=payload["hazard_id"],
                    state=payload["state"],
                    reason=payload["reason"],
                    at=_when(envelope["occurred_at"]),
                )
            )
            continue
        if envelope.get("type") != "escalation.step_fired" or not payload.get("target_roles"):
            continue
        records.steps.append(
            StepFired(
                event_id=str(row["event_id"]),
                hazard_id=payload["hazard_id"],
                step_key=payload["step_key"],
                repeat_index=int(payload.get("repeat_index", 0)),
                fired_at=_when(payload["fired_at"]),
                step_index=int(payload.get("step_index", 0)),
                policy_id=str(payload.get("policy_id", "")),
                stop_condition=payload.get("stop_condition"),
            )
        )
    notification = urls["notification"]
    records.requests = {
        str(r["event_id"]) for r in await rows(notification, "SELECT event_id FROM requests")
    }
    records.notices = [
        Notice(str(r["request_id"]), r["person_id"], r["dispatch_id"], r["status"])
        for r in await rows(
            notification, "SELECT request_id, person_id, dispatch_id, status FROM notices"
        )
    ]
    out_ids: dict[int, list[str]] = defaultdict(list)
    for r in await rows(notification, "SELECT delivery_id, out_id FROM delivery_attempts"):
        out_ids[int(r["delivery_id"])].append(r["out_id"])
    records.deliveries = [
        Delivery(
            int(r["id"]),
            r["dispatch_id"],
            r["person_id"],
            r["channel"],
            tuple(sms_key(o, r["address"]) for o in out_ids[r["id"]]),
            redirected=r["status"] == "failed" and r["last_error"] == REDIRECTED_TO_EMAIL,
        )
        for r in await rows(
            notification,
            "SELECT id, dispatch_id, person_id, channel, address, status, last_error"
            " FROM deliveries",
        )
    ]
    records.received = [Received("sms", sms_key(a.out_id, a.phone), a.at) for a in sms]
    records.received += mail
    return records


# What is still under way: the run has settled when every count is 0.
PENDING = {
    "hazard_api": ["SELECT count(*) FROM outbox WHERE sent_at IS NULL"],
    "escalation": ["SELECT count(*) FROM outbox WHERE sent_at IS NULL"],
    "notification": [
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
        "SELECT count(*) FROM requests WHERE status = 'open'",
        "SELECT count(*) FROM notices WHERE status = 'waiting'",
        "SELECT count(*) FROM deliveries WHERE status = 'pending'",
        "SELECT count(*) FROM delivery_attempts WHERE outcome IN ('pending', 'unknown')",
    ],
}


async def pending_work(urls: Mapping[str, str], now: datetime) -> int:
    total = len(await rows(urls["escalation"], OVERDUE.format(before=now.isoformat())))
    for service, queries in PENDING.items():
        for sql in queries:
            counts = await rows(urls[service], sql)
            total += int(next(iter(counts[0].values())))
    return total
