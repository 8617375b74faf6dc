"""The record of service over HTTP: does the delivery log still hold what was recorded?"""

from __future__ import annotations

from fastapi import APIRouter

from services.notification.callers import COUNTY_OFFICE, CallerDep, forbidden
from services.notification.deps import SessionDep
from services.notification.records.verify import RecordVerifyOut, verify

router = APIRouter(prefix="/records", tags=["record of service"])


@router.get("/verify")
async def verify_records(caller: CallerDep, session: SessionDep) -> RecordVerifyOut:
    """Walk the chain and compare every delivery-log row with its last recorded state; the
    first thing that does not hold is named (table, row, chain entry)."""
    if caller.role != COUNTY_OFFICE:
        raise forbidden("只有县安委办可以校验送达记录")
    return await verify(session)
