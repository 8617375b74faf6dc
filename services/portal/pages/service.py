"""送达凭证 of a hazard: the notification service's proof of service, and its files."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.upstream import UpstreamError, message_of

router = APIRouter(include_in_schema=False)

CHANNELS = {"sms": "短信", "email": "电子邮件"}
_PASSED = ("content-type", "content-disposition", "x-content-sha256", "x-chain-verified")


@router.get("/hazards/{hazard_id}/service")
async def service(
    request: Request, hazard_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    dossier = await upstream.call(
        "notification", "GET", f"/hazards/{hazard_id}/service", token=session.token
    )
    return page(request, "service.html", d=dossier, hazard_id=hazard_id, channels=CHANNELS)


@router.get("/hazards/{hazard_id}/service.{kind}")
async def service_file(
    hazard_id: str, kind: Literal["csv", "pdf"], session: SessionDep, upstream: UpstreamDep
) -> Response:
    answer = await upstream.send(
        "notification", "GET", f"/hazards/{hazard_id}/service.{kind}", token=session.token
    )
    if answer.status_code >= 400:
        raise UpstreamError(answer.status_code, message_of(answer))
    headers = {k: v for k, v in answer.headers.items() if k.lower() in _PASSED}
    return Response(answer.content, headers=headers)
