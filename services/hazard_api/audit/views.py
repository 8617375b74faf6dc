"""Audit trail: verify the chains; read one hazard's history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.keys import current_keyring
from services.hazard_api.audit.models import AuditEntryOut, AuditRow, VerifyOut
from services.hazard_api.audit.sealer import read_anchors, seal_in
from services.hazard_api.audit.service import ChainHead, chain
from services.hazard_api.audit.verify import StateDiff, verify
from services.hazard_api.auth.deps import CountyOffice
from services.hazard_api.deps import SessionDep
from services.hazard_api.hazards.deps import HazardId, HazardReader
from services.hazard_api.hazards.models import Hazard, chain_key, snapshot
from services.hazard_api.hazards.service import get_scoped

router = APIRouter(tags=["audit"])

# Snapshot fields left out of a snapshot while empty (see hazards.models.snapshot).
_OPTIONAL_FIELDS = frozenset(
    {
        "listing_published_at",
        "extension_requested_at",
        "proposed_grade",
        "proposed_criterion_id",
        "void_reason",
        "criterion_version",
    }
)


async def hazard_heads(session: AsyncSession) -> dict[str, ChainHead]:
    rows = await session.execute(
        select(Hazard.id, Hazard.audit_seq, Hazard.audit_head).where(Hazard.audit_seq > 0)
    )
    return {chain_key(r.id): ChainHead(r.audit_seq, r.audit_head) for r in rows}


def differing_fields(current: dict[str, Any], audited: dict[str, Any]) -> list[str]:
    names = set(current) | (set(audited) & _OPTIONAL_FIELDS)
    return sorted(n for n in names if current.get(n) != audited.get(n))


async def hazard_states(session: AsyncSession) -> AsyncIterator[StateDiff]:
    """Each hazard against the `after` of its last audit row (the heads check already tied
    `audit_seq` to that row)."""
    stream = await session.stream(
        select(Hazard, AuditRow.id, AuditRow.after)
        .join(
            AuditRow,
            (AuditRow.chain_key == literal("hazard:") + Hazard.id)
            & (AuditRow.seq == Hazard.audit_seq),
        )
        .execution_options(yield_per=500)
    )
    async for hazard, row_id, after in stream:
        fields = differing_fields(snapshot(hazard), after or {})
        if fields:
            await stream.close()
            yield StateDiff(chain_key(hazard.id), hazard.audit_seq, row_id, fields)
            return


@router.get(
    "/audit/verify", summary="校验审计日志：密钥哈希链、全局序号、锚点与业务记录（县安委办）"
)
async def verify_chain(request: Request, session: SessionDep, _user: CountyOffice) -> VerifyOut:
    """Seals what is committed and not sealed yet, then checks everything (see audit/README.md)."""
    settings = request.app.state.settings
    keyring = current_keyring()
    await seal_in(session, keyring)
    anchor_file = settings.audit_anchor_file
    anchors = list(read_anchors(anchor_file)) if anchor_file else []
    return await verify(
        session=session, heads=hazard_heads, states=hazard_states, anchors=anchors, keyring=keyring
    )


@router.get("/hazards/{hazard_id}/audit", summary="隐患审计记录")
async def hazard_audit(
    hazard_id: HazardId, session: SessionDep, user: HazardReader
) -> list[AuditEntryOut]:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id)
    rows = await chain(session=session, chain_key=chain_key(h.id))
    return [AuditEntryOut.model_validate(r) for r in rows]
