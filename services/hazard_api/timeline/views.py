"""One ordered list per hazard: its state changes and what escalation/notification did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.deps import SessionDep
from services.hazard_api.hazards.deps import HazardId, HazardReader
from services.hazard_api.hazards.models import chain_key
from services.hazard_api.hazards.service import get_scoped
from services.hazard_api.timeline.models import EntryKind, TimelineEntry, TimelineItem
from shared.contract import HazardEventType
from shared.labels import HAZARD_AUDIT_LABELS, HAZARD_STATUS_LABELS, deadline_label, label

router = APIRouter(tags=["timeline"])


def state_change_summary(action: str, before: str | None, after: str | None) -> str:
    summary = label(HAZARD_AUDIT_LABELS, action)
    if before is not None and after is not None and before != after:
        was, now = label(HAZARD_STATUS_LABELS, before), label(HAZARD_STATUS_LABELS, after)
        summary += f"（状态：{was}→{now}）"
    return summary


def _deadline(state: dict[str, Any]) -> tuple[datetime | None, bool]:
    at = state.get("deadline_at")
    return (datetime.fromisoformat(at) if at else None), bool(state.get("deadline_provisional"))


def deadline_summary(action: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """What a change did to the deadline, where people must see it: a deadline counted on a
    year's estimated holidays says so (（预计）), and a count on the official schedule gives
    the old and the new date. Other deadline changes keep their entry as it was."""
    old, new = _deadline(before), _deadline(after)
    if action == HazardEventType.DEADLINE_RECOMPUTED:
        notice = after.get("calendar_notice_no")
        published = f"法定节假日安排已发布（{notice}）" if notice else "法定节假日安排已发布"
        if old[0] == new[0]:
            return f"：{published}，整改期限{deadline_label(*new)}已确认"
        return f"：{published}，整改期限由{deadline_label(*old)}调整为{deadline_label(*new)}"
    if new[0] is not None and new[1] and new != old:
        return f"；整改期限{deadline_label(*new)}"
    return ""


def withdrawal_summary(after: dict[str, Any]) -> str:
    """A pending 延期 request the transition settled (see extensions.service) says so."""
    withdrawn = after.get("extension_withdrawn")
    return f"；{withdrawn.get('reason')}" if isinstance(withdrawn, dict) else ""


DECIDERS = {"city": "市级", "province": "省级"}


def external_summary(after: dict[str, Any]) -> str:
    """A listing the city or province decided says so, with the notice and the message id
    the reporting link received it under."""
    decision = after.get("external_decision")
    if not isinstance(decision, dict):
        return ""
    decider = DECIDERS.get(str(decision.get("decided_by")), "上级")
    return (
        f"（{decider}决定，文号{decision.get('notice_no')}，"
        f"经省市报送通道接收，消息编号{decision.get('decision_id')}）"
    )


@router.get("/hazards/{hazard_id}/timeline", summary="隐患全过程时间线")
async def timeline(
    hazard_id: HazardId, session: SessionDep, user: HazardReader
) -> list[TimelineItem]:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id)
    audit = await session.scalars(
        select(AuditRow).where(AuditRow.chain_key == chain_key(h.id)).order_by(AuditRow.seq)
    )
    items: list[tuple[int, int, TimelineItem]] = [
        (
            0,
            row.seq,
            TimelineItem(
                at=row.at,
                kind=EntryKind.STATE_CHANGE,
                source="hazard_api",
                summary=state_change_summary(
                    row.action, (row.before or {}).get("status"), (row.after or {}).get("status")
                )
                + deadline_summary(row.action, row.before or {}, row.after or {})
                + external_summary(row.after or {})
                + withdrawal_summary(row.after or {}),
                actor_role=row.actor_role,
                detail={
                    "action": row.action,
                    "before_status": (row.before or {}).get("status"),
                    "after_status": (row.after or {}).get("status"),
                    "actor_person_id": row.actor_person_id,
                },
            ),
        )
        for row in audit
    ]
    entries = await session.scalars(
        select(TimelineEntry).where(TimelineEntry.hazard_id == h.id).order_by(TimelineEntry.id)
    )
    items += [
        (
            1,
            e.id,
            TimelineItem(
                at=e.at, kind=EntryKind(e.kind), source=e.source, summary=e.summary, detail=e.detail
            ),
        )
        for e in entries
    ]
    items.sort(key=lambda t: (t[2].at, t[0], t[1]))
    return [t[2] for t in items]
