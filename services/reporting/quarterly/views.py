"""The quarterly table's submission: submit a past quarter now (the schedule does it by
itself), and check that the table submitted is still what the source gives, byte for byte."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.reporting.callers import CountyOfficeDep
from services.reporting.deps import RuntimeDep, SessionDep
from services.reporting.hazard_link import HazardApiRefused, HazardApiUnavailable
from services.reporting.ledger.models import SubmissionFile
from services.reporting.quarterly import document as doc
from services.reporting.quarterly.schedule import quarter_ended
from shared.problems import problems

router = APIRouter(tags=["quarterly"])
Year = Annotated[int, Path(ge=2000, le=2100, description="年度")]
Quarter = Annotated[int, Path(ge=1, le=4, description="季度")]
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "隐患系统暂不可用，请稍后再试"}
}


class SubmittedOut(BaseModel):
    quarter: str
    webhook_id: str
    created: bool = Field(description="本次新登记（false：此前已报送，未重复报送）")


class Comparison(BaseModel):
    name: str
    sent_sha256: str
    regenerated_sha256: str
    identical: bool


class VerificationOut(BaseModel):
    quarter: str
    webhook_id: str
    identical: bool = Field(description="按当前数据重新生成与当时报送逐字节一致")
    parts: list[Comparison]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upstream_problem(exc: Exception) -> HTTPException:
    if isinstance(exc, HazardApiRefused):
        return HTTPException(exc.status if exc.status < 500 else 502, exc.message)
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))


@router.post(
    "/quarterly/{year}/{quarter}/submission",
    summary="报送季度隐患排查治理统计表（已结束的季度）",
    responses=problems(409) | UNAVAILABLE,
)
async def submit(
    year: Year, quarter: Quarter, runtime: RuntimeDep, _caller: CountyOfficeDep
) -> SubmittedOut:
    if not quarter_ended(year, quarter, runtime.clock.now()):
        raise HTTPException(status.HTTP_409_CONFLICT, "该季度尚未结束，不能报送季度统计")
    quarterly = runtime.incoming.quarterly
    try:
        ids = await quarterly.submit(year, quarter)
    except (HazardApiRefused, HazardApiUnavailable) as exc:
        raise _upstream_problem(exc) from None
    row = await quarterly.submitted(year, quarter)
    assert row is not None
    return SubmittedOut(quarter=f"{year}Q{quarter}", webhook_id=row.webhook_id, created=bool(ids))


@router.get(
    "/quarterly/{year}/{quarter}/verification",
    summary="核对季度统计：重新生成并与报送原文逐字节比较",
    responses=UNAVAILABLE,
)
async def verify(
    year: Year,
    quarter: Quarter,
    runtime: RuntimeDep,
    session: SessionDep,
    _caller: CountyOfficeDep,
) -> VerificationOut:
    quarterly = runtime.incoming.quarterly
    sent = await quarterly.submitted(year, quarter)
    if sent is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "该季度统计尚未报送")
    try:
        source = await quarterly.source(year, quarter)
    except (HazardApiRefused, HazardApiUnavailable) as exc:
        raise _upstream_problem(exc) from None
    document = doc.build(source)
    now = {"body": doc.regenerate(source)} | {n: c for n, _, c in doc.copies(document)}
    kept = {"body": sent.body} | {
        f.name: f.content
        for f in await session.scalars(
            select(SubmissionFile).where(SubmissionFile.submission_seq == sent.seq)
        )
    }
    parts = [
        Comparison(
            name=name,
            sent_sha256=_sha(kept.get(name, b"")),
            regenerated_sha256=_sha(content),
            identical=kept.get(name) == content,
        )
        for name, content in now.items()
    ]
    return VerificationOut(
        quarter=f"{year}Q{quarter}",
        webhook_id=sent.webhook_id,
        identical=all(p.identical for p in parts),
        parts=parts,
    )
