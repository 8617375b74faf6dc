"""公文: the documents a user may see (hazard_api's list and filters), one document's GB/T 9704
page in a sandboxed frame, its PDF, and 签发 of a draft (hazard_api decides who may)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.upstream import Answer, Upstream, UpstreamError, message_of

router = APIRouter(include_in_schema=False)

TYPES = {
    "rectification_notice": "隐患整改通知书",
    "listing_notice": "挂牌督办通知书",
    "supervision_letter": "督办函",
    "bulletin": "通报",
    "delisting_notice": "摘牌销号通知",
}
STATUSES = {"draft": "草稿", "issued": "已印发"}
# The document is the API's HTML (its fields escaped by hazard_api's autoescaping templates),
# and it is still shown as an opaque origin: no script, no form, no link out of the frame.
FRAME_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; font-src 'self' data:; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


@router.get("/documents")
async def documents(
    request: Request,
    session: SessionDep,
    upstream: UpstreamDep,
    doc_type: Annotated[str, Query(max_length=40)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    hazard_id: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    # hazard_api checks the values (its 422 is the page's message); "" is the form's 全部.
    f = {"doc_type": doc_type, "status": status, "hazard_id": hazard_id}
    params = {k: v for k, v in f.items() if v}
    rows = await upstream.call(
        "hazard_api", "GET", "/documents", token=session.token, params=params
    )
    return page(
        request,
        "documents.html",
        rows=rows,
        types=TYPES,
        statuses=STATUSES,
        f=f,
    )


# Before /documents/{document_id}, which would otherwise take "<id>.pdf" as an id.
@router.get("/documents/{document_id}.pdf")
async def pdf(document_id: str, session: SessionDep, upstream: UpstreamDep) -> Response:
    answer = await _fetched(upstream, f"/documents/{document_id}/pdf", session.token)
    disposition = answer.headers.get("content-disposition", "inline")
    return Response(
        answer.content,
        media_type="application/pdf",
        headers={"Content-Disposition": disposition.replace("inline", "attachment", 1)},
    )


@router.get("/documents/{document_id}")
async def document(
    request: Request, document_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    d = await upstream.call("hazard_api", "GET", f"/documents/{document_id}", token=session.token)
    return page(request, "document.html", d=d)


@router.get("/documents/{document_id}/frame")
async def frame(document_id: str, session: SessionDep, upstream: UpstreamDep) -> Response:
    answer = await _fetched(upstream, f"/documents/{document_id}/html", session.token)
    headers = {
        "Content-Security-Policy": FRAME_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-store",
    }
    return Response(answer.content, media_type="text/html; charset=utf-8", headers=headers)


@router.post("/documents/{document_id}/issue")
async def issue(document_id: str, session: PostSession, upstream: UpstreamDep) -> Response:
    await upstream.call(
        "hazard_api", "POST", f"/documents/{document_id}/issue", token=session.token
    )
    return RedirectResponse(f"/documents/{document_id}?issued=1", status_code=303)


async def _fetched(upstream: Upstream, path: str, token: str) -> Answer:
    answer = await upstream.send("hazard_api", "GET", path, token=token)
    if answer.status_code >= 400:
        raise UpstreamError(answer.status_code, message_of(answer))
    return answer
