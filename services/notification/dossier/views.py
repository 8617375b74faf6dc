"""The proof of service of a hazard over HTTP: JSON, CSV and PDF of the same content."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import Response

from services.notification.callers import COUNTY_OFFICE, CallerDep
from services.notification.deps import RuntimeDep, SessionDep
from services.notification.dossier import export
from services.notification.dossier.models import Dossier
from services.notification.dossier.service import build, latest_facts
from shared.contract import HazardFacts

router = APIRouter(prefix="/hazards", tags=["proof of service"])

HazardId = Path(min_length=1, max_length=100)
_FILES: dict[int | str, dict[str, object]] = {
    404: {"description": "隐患不存在，或不在您的管辖范围内"},
}


def _may_see(caller: CallerDep, facts: HazardFacts) -> bool:
    """The county office; the township the hazard lies in; a department that supervises it."""
    if caller.role == COUNTY_OFFICE:
        return True
    if caller.unit_id is None:
        return False
    if caller.role == "township":
        return caller.unit_id == facts.township_id
    return caller.role == "department" and caller.unit_id in facts.department_ids


async def _dossier(
    hazard_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> Dossier:
    facts = await latest_facts(hazard_id, session=session)
    # Out of scope answers like unknown: whether a hazard exists does not leak.
    if facts is None or not _may_see(caller, facts):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "未找到该隐患的通知记录，或不在您的管辖范围内"
        )
    return await build(hazard_id, facts, session=session, now=runtime.clock.now())


def _file(data: bytes, media_type: str, name: str, dossier: Dossier) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-SHA256": dossier.content_sha256,
            "X-Chain-Verified": "true" if dossier.chain.ok else "false",
        },
    )


@router.get("/{hazard_id}/service", responses=_FILES)
async def proof_of_service(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, hazard_id: str = HazardId
) -> Dossier:
    """Every notice about the hazard: to whom (and their post then), how, through which
    provider, whether it arrived, who acknowledged it and when, and whether the record of
    service still verifies."""
    return await _dossier(hazard_id, caller, session, runtime)


@router.get(
    "/{hazard_id}/service.csv",
    response_class=Response,
    responses=_FILES | {200: {"content": {"text/csv": {}}}},
)
async def proof_of_service_csv(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, hazard_id: str = HazardId
) -> Response:
    dossier = await _dossier(hazard_id, caller, session, runtime)
    name = f"service-{dossier.hazard.code}.csv"
    return _file(export.to_csv(dossier), "text/csv; charset=utf-8", name, dossier)


@router.get(
    "/{hazard_id}/service.pdf",
    response_class=Response,
    responses=_FILES | {200: {"content": {"application/pdf": {}}}},
)
async def proof_of_service_pdf(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, hazard_id: str = HazardId
) -> Response:
    dossier = await _dossier(hazard_id, caller, session, runtime)
    name = f"service-{dossier.hazard.code}.pdf"
    return _file(await export.to_pdf(dossier), "application/pdf", name, dossier)
