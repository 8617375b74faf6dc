"""One ordered list per hazard: its state changes and what escalation/notification did."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.deps import SessionDep
from services.hazard_api.hazards.deps import HazardId, HazardReader
from services.hazard_api.hazards.models import chain_key
from services.hazard_api.hazards.service import get_scoped
from services.hazard_api.timeline.models import EntryKind, TimelineEntry, TimelineItem
from shared.labels import HAZARD_EVENT_LABELS, HAZARD_STATUS_LABELS, label

router = APIRouter(tags=["timeline"])

# What the audit records beyond the hazard events (same words as the events where they meet).
EVENT_LABELS = HAZARD_EVENT_LABELS | {
    "hazard.plan_submitted": "提交治理方案",
    "hazard.listing_published": "公开挂牌信息",
    "hazard.evidence_attached": "上传佐证材料",
}


def state_change_summary(action: str, before: str | None, after: str | None) -> str:
    summary = label(EVENT_LABELS, action)
    if before is not None and after is not None and before != after:
        was, now = label(HAZARD_STATUS_LABELS, before), label(HAZARD_STATUS_LABELS, after)
        summary += f"（状态：{was}→{now}）"
    return summary


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
                ),
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
