"""Due notices → one dispatch per person (single or digest) → delivery-log rows per channel.

Roles are resolved again here, at send time: a notice whose person no longer holds the role
is superseded and goes to whoever holds it now.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.config import Settings
from services.notification.delivery.models import Delivery, DeliveryStatus, Dispatch, DispatchKind
from services.notification.directory.service import DirectorySnapshot, SnapshotCache
from services.notification.events import emit_alert
from services.notification.intake import service as intake_service
from services.notification.intake.flows import Intake
from services.notification.intake.models import (
    Notice,
    NoticeStatus,
    NotificationRequest,
    RequestStatus,
)
from services.notification.messages.render import (
    URGENCY_RANK,
    Voice,
    email_subject,
    notice_item,
    shown,
    sms_variables,
    template_of,
)
from services.notification.messages.reports import is_report, report_item
from services.notification.preferences import service as preferences
from shared.contract import ChainRole, Channel, PersonUpserted, StepFired, Urgency
from shared.responsibility import ChainEntry, resolve_role


def content_hash(channel: Channel, items: list[dict[str, Any]], voice: Voice) -> str:
    """What "the same content" means for per-number caps: the message without its link."""
    if channel == Channel.SMS:
        key, variables = sms_variables(items, "", voice)
        text = json.dumps([key, variables], ensure_ascii=False, sort_keys=True)
    else:
        subjects = (i.get("hazard_id") or i.get("reminder_id") or "" for i in items)
        text = email_subject(items, voice) + "|" + ",".join(subjects)
    return hashlib.sha256(text.encode()).hexdigest()


def dispatch_urgency(notices: list[Notice]) -> Urgency:
    """The most pressing of the notices a dispatch carries."""
    return max(
        (Urgency(n.urgency) for n in notices),
        key=lambda u: URGENCY_RANK.get(u, 0),
        default=Urgency.NORMAL,
    )


def stands_alone(step: dict[str, Any]) -> bool:
    """A step whose text a digest cannot say: a digest counts hazards 已逾期 or 即将到期, and
    a report reminder, an issued document (its 文号), a 复工复产 campaign's 催办, a 停产整顿
    order's 复工复产 step or an accident's clock is none of these."""
    kinds = ("document", "campaign", "suspension", "accident")
    return is_report(step) or any(step.get(k) for k in kinds)


def dispatch_groups(
    notices: list[Notice], alone: frozenset[str] = frozenset()
) -> list[list[Notice]]:
    """An `immediate` notice goes alone (it must not wait for, or be buried in, a digest);
    so does one whose step stands alone (request id in `alone`). Everything else due for the
    person goes together, the most pressing first."""
    single = [[n] for n in notices if n.urgency == Urgency.IMMEDIATE or n.request_id in alone]
    rest = [n for n in notices if n.urgency != Urgency.IMMEDIATE and n.request_id not in alone]
    rest.sort(key=lambda n: -URGENCY_RANK.get(Urgency(n.urgency), 0))
    return [*single, rest] if rest else single


def address_of(person: PersonUpserted, channel: Channel) -> str | None:
    return person.mobile if channel == Channel.SMS else person.email


@dataclass(frozen=True)
class Bundled:
    made: int  # dispatches made, and notices re-targeted
    # Due now and not done by this pass: persons beyond the batch, re-targeted notices (due
    # at once), requests sent back to resolution.
    more: bool


class Bundler:
    def __init__(self, settings: Settings, cache: SnapshotCache, intake: Intake) -> None:
        self.settings = settings
        self.cache = cache
        self.intake = intake

    async def bundle_due(self, *, session: AsyncSession, now: datetime) -> Bundled:
        persons = await intake_service.persons_due(
            session=session, now=now, limit=self.settings.dispatch_batch
        )
        if not persons:
            return Bundled(0, more=False)
        snapshot = await self.cache.get(session=session)
        notices = await intake_service.due_notices(persons, session=session, now=now)
        steps = await intake_service.steps_by_id([n.request_id for n in notices], session=session)
        alone = frozenset(request_id for request_id, raw in steps.items() if stands_alone(raw))
        prefs = await preferences.prefs_for(persons, session=session, settings=self.settings)
        by_person: dict[str, list[Notice]] = defaultdict(list)
        for notice in notices:
            by_person[notice.person_id].append(notice)
        resolved: dict[tuple[str, str], list[ChainEntry]] = {}
        retarget: list[tuple[NotificationRequest, str, ChainEntry]] = []
        made = 0
        reopened = False
        pending: list[dict[str, Any]] = []
        dispatches: list[dict[str, Any]] = []
        for person_id, person_notices in by_person.items():
            valid: list[Notice] = []
            for notice in person_notices:
                key = (notice.unit_id, notice.target_role)
                if key not in resolved:
                    # At send time: an acting holder or a handover since intake re-targets.
                    resolved[key] = resolve_role(
                        snapshot.directory, notice.unit_id, ChainRole(notice.target_role), at=now
                    )
                holders = resolved[key]
                if any(e.person_id == person_id for e in holders):
                    valid.append(notice)
                    continue
                notice.status = NoticeStatus.SUPERSEDED
                request = await session.get_one(NotificationRequest, notice.request_id)
                if holders:
                    retarget.extend((request, notice.target_role, e) for e in holders)
                else:  # nobody holds it any more: back to resolution, which retries, then alerts
                    request.pending_roles = [*request.pending_roles, notice.target_role]
                    request.status = RequestStatus.OPEN
                    request.next_resolve_at = now
                    reopened = True
            for group in dispatch_groups(valid, alone):
                pending.extend(
                    await self._dispatch(
                        person_id,
                        group,
                        steps,
                        snapshot,
                        prefs[person_id],
                        dispatches,
                        session,
                        now,
                    )
                )
                made += 1
        # Multi-row inserts (the unit of work inserts the log's rows one by one on SQLite);
        # dispatches first: the delivery log refers to them.
        if dispatches:
            await session.execute(insert(Dispatch), dispatches)
        if pending:
            await session.execute(insert(Delivery), pending)
        await self.intake.add_notices(retarget, session=session, now=now, waited=True)
        await session.flush()
        more = len(persons) >= self.settings.dispatch_batch or bool(retarget) or reopened
        return Bundled(made + len(retarget), more=more)

    async def _dispatch(
        self,
        person_id: str,
        notices: list[Notice],
        steps: dict[str, dict[str, Any]],
        snapshot: DirectorySnapshot,
        prefs: preferences.Prefs,
        dispatches: list[dict[str, Any]],
        session: AsyncSession,
        now: datetime,
    ) -> list[dict[str, Any]]:
        """The person's dispatch (a row added to `dispatches`) and its delivery-log rows."""
        items = []
        for notice in notices:
            raw = steps[notice.request_id]
            if is_report(raw):
                item = report_item(raw, notice.chain_role, notice.covering_for)
            else:
                step = StepFired.model_validate(raw)
                item = notice_item(step, notice.chain_role, notice.covering_for, now=now, raw=raw)
            item["request_id"] = notice.request_id
            items.append(item)
        person = snapshot.persons.get(person_id)
        dispatch_id = str(uuid.uuid4())
        request_ids = [n.request_id for n in notices]
        hazard_ids = list(dict.fromkeys(n.hazard_id for n in notices if n.hazard_id))
        dispatches.append(
            {
                "id": dispatch_id,
                "person_id": person_id,
                "person_name": person.name if person else person_id,
                "kind": DispatchKind.SINGLE if len(shown(items)) == 1 else DispatchKind.DIGEST,
                "urgency": dispatch_urgency(notices),
                "request_ids": request_ids,
                "hazard_ids": hazard_ids,
                "chain_role": notices[0].chain_role if len(notices) == 1 else None,
                "context": {"items": items},
                "created_at": now,
            }
        )
        for notice in notices:
            notice.status = NoticeStatus.BUNDLED
            notice.dispatch_id = dispatch_id
        channels = [
            (c, address_of(person, c))
            for c in prefs.channels
            if person is not None and person.active and address_of(person, c)
        ]
        if not channels:
            await emit_alert(
                session,
                kind="dead_letter",
                request_event_id=request_ids[0],
                hazard_ids=hazard_ids,
                person_id=person_id,
                notification_id=dispatch_id,
                detail="该人员没有可用的联系方式（手机号或邮箱），通知无法送达",
                now=now,
            )
            return []
        return [
            delivery_row(dispatch_id, person_id, items, channel, address, now, self.settings)
            for channel, address in channels
            if address is not None
        ]


def new_delivery(
    dispatch: Dispatch,
    channel: Channel,
    address: str,
    now: datetime,
    settings: Settings,
    *,
    fallback: bool = False,
) -> Delivery:
    items = dispatch.context["items"]
    row = delivery_row(
        dispatch.id, dispatch.person_id, items, channel, address, now, settings, fallback=fallback
    )
    return Delivery(**row)


def delivery_row(
    dispatch_id: str,
    person_id: str,
    items: list[dict[str, Any]],
    channel: Channel,
    address: str,
    now: datetime,
    settings: Settings,
    *,
    fallback: bool = False,
) -> dict[str, Any]:
    """A new delivery-log row (status pending, due now) of a dispatch on this channel."""
    template = template_of(items)
    # A dispatch bundled before v2 has no duty wording: it keeps the template it was made for.
    version = settings.template_versions[template] if "ask" in items[0] else 1
    return {
        "dispatch_id": dispatch_id,
        "person_id": person_id,
        "channel": channel.value,
        "address": address,
        "status": DeliveryStatus.PENDING,
        "template": template,
        "template_version": version,
        "content_hash": content_hash(channel, items, Voice.of(settings)),
        "provider_index": 0,
        "provider_attempts": 0,
        "attempts": 0,
        "provider": None,
        "provider_message_id": None,
        "next_attempt_at": now,
        "is_fallback": fallback,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
    }
