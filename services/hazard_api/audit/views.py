"""Audit trail: verify the chains; read one hazard's history."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.audit.models import AuditEntryOut, VerifyOut
from services.hazard_api.audit.service import ChainHead, chain, verify
from services.hazard_api.auth.deps import CountyOffice
from services.hazard_api.deps import SessionDep
from services.hazard_api.hazards.deps import HazardId, HazardReader
from services.hazard_api.hazards.models import Hazard, chain_key
from services.hazard_api.hazards.service import get_scoped

router = APIRouter(tags=["audit"])


async def hazard_heads(session: AsyncSession) -> dict[str, ChainHead]:
    rows = await session.execute(
        select(Hazard.id, Hazard.audit_seq, Hazard.audit_head).where(Hazard.audit_seq > 0)
    )
    return {chain_key(r.id): ChainHead(r.audit_seq, r.audit_head) for r in rows}


@router.get("/audit/verify", summary="校验审计日志哈希链（县安委办）")
async def verify_chain(session: SessionDep, _user: CountyOffice) -> VerifyOut:
    return await verify(session=session, heads=hazard_heads)


@router.get("/hazards/{hazard_id}/audit", summary="隐患审计记录")
async def hazard_audit(
    hazard_id: HazardId, session: SessionDep, user: HazardReader
) -> list[AuditEntryOut]:
    h = await get_scoped(session=session, user=user, hazard_id=hazard_id)
    rows = await chain(session=session, chain_key=chain_key(h.id))
    return [
        AuditEntryOut(
            id=r.id,
            seq=r.seq,
            at=r.at,
            actor_user_id=r.actor_user_id,
            actor_person_id=r.actor_person_id,
            actor_role=r.actor_role,
            action=r.action,
            before=r.before,
            after=r.after,
            hash=r.hash,
        )
        for r in rows
    ]
