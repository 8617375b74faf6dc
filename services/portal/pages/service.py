"""送达凭证 of a hazard: the notification service's proof of service, and its files."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.session import PageSession
from services.portal.upstream import UpstreamError, message_of

router = APIRouter(include_in_schema=False)

CHANNELS = {"sms": "短信", "email": "电子邮件"}
_PASSED = ("content-type", "content-disposition", "x-content-sha256", "x-chain-verified")
# Whom the notification service shows a proof of service (its dossier views): the county
# office, the township the hazard lies in, a department that supervises it. Never the
# enterprise nor a county leader, whatever the hazard.
SERVICE_ROLES = frozenset({"county_office", "township", "department"})
FORBIDDEN = "只有县安委办、属地乡镇（街道）和行业监管部门可以查看送达凭证"


def _may_see(session: PageSession) -> None:
    # The notification service answers these roles 404 (it hides whether a hazard exists);
    # the page tells them plainly instead of claiming the page is missing.
    if session.role not in SERVICE_ROLES:
        raise UpstreamError(403, FORBIDDEN)


@router.get("/hazards/{hazard_id}/service")
async def service(
    request: Request, hazard_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    _may_see(session)
    try:
        dossier = await upstream.call(
            "notification", "GET", f"/hazards/{hazard_id}/service", token=session.token
        )
    except UpstreamError as exc:
        if exc.status != 404:
            raise
        # Notification knows a hazard only from its first notice: one the user may see in the
        # ledger (hazard_api answers 404 otherwise) has simply not been notified yet.
        d = await upstream.call("hazard_api", "GET", f"/hazards/{hazard_id}", token=session.token)
        dossier = {"hazard": d["hazard"], "entries": None}
    return page(request, "service.html", d=dossier, hazard_id=hazard_id, channels=CHANNELS)


@router.get("/hazards/{hazard_id}/service.{kind}")
async def service_file(
    hazard_id: str, kind: Literal["csv", "pdf"], session: SessionDep, upstream: UpstreamDep
) -> Response:
    _may_see(session)
    answer = await upstream.send(
        "notification", "GET", f"/hazards/{hazard_id}/service.{kind}", token=session.token
    )
    if answer.status_code >= 400:
        raise UpstreamError(answer.status_code, message_of(answer))
    headers = {k: v for k, v in answer.headers.items() if k.lower() in _PASSED}
    return Response(answer.content, headers=headers)
