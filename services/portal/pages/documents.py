"""公文: the documents a user may see (hazard_api's list and filters), a new draft (拟制) from a
hazard's data or, for a 通报, the county's, one document's GB/T 9704 page in a sandboxed frame,
its PDF, and 修改 and 签发 of a draft (hazard_api decides who may)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.forms import text
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
# What each role is offered to draft (hazard_api's documents/states.py decides; a page offers
# no button that can only be refused). A 通报 is of the county's items, the rest of a hazard.
DRAFTERS = {
    "county_office": tuple(TYPES),
    "department": ("rectification_notice",),
    "township": ("rectification_notice",),
}
COUNTY_WIDE = ("bulletin",)
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
    return await _listing(request, session, upstream, f)


async def _listing(
    request: Request,
    session: Any,
    upstream: Upstream,
    f: dict[str, str],
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    params = {k: v for k, v in f.items() if v}
    rows = await upstream.call(
        "hazard_api", "GET", "/documents", token=session.token, params=params
    )
    offered = DRAFTERS.get(session.role, ())
    draftable = [(k, TYPES[k]) for k in offered if (k in COUNTY_WIDE) != bool(f["hazard_id"])]
    return page(
        request,
        "documents.html",
        status_code,
        rows=rows,
        types=TYPES,
        statuses=STATUSES,
        f=f,
        draftable=draftable,
        error=error,
    )


@router.post("/documents/new")
async def draft(request: Request, session: PostSession, upstream: UpstreamDep) -> Response:
    form = await request.form()
    hazard_id = text(form, "hazard_id")
    body = {"doc_type": text(form, "doc_type")} | ({"hazard_id": hazard_id} if hazard_id else {})
    try:
        created = await upstream.call(
            "hazard_api", "POST", "/documents", token=session.token, json=body
        )
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        f = {"doc_type": "", "status": "", "hazard_id": hazard_id}
        return await _listing(
            request, session, upstream, f, error=exc.message, status_code=exc.status
        )
    return RedirectResponse(f"/documents/{created['id']}?drafted=1", status_code=303)


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
    return page(request, "document.html", d=d, values=_editable(d))


def _editable(d: dict[str, Any]) -> dict[str, str]:
    """A draft's fields as the edit form shows them: 附件 one per line."""
    values = {k: d.get(k) or "" for k in ("title", "addressee", "body", "cc")}
    return values | {"attachments": "\n".join(d.get("attachments") or [])}


@router.post("/documents/{document_id}/edit")
async def edit(
    request: Request, document_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    """修改草稿 (hazard_api's PATCH: only the drafting office's draft). Refused, the page comes
    back with the form as typed and hazard_api's message."""
    form = await request.form()
    values = {k: text(form, k) for k in ("title", "addressee", "body", "cc", "attachments")}
    lines = [line.strip() for line in values["attachments"].splitlines() if line.strip()]
    body = {k: values[k] for k in ("title", "addressee", "body", "cc")} | {"attachments": lines}
    path = f"/documents/{document_id}"
    try:
        await upstream.call("hazard_api", "PATCH", path, token=session.token, json=body)
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        d = await upstream.call("hazard_api", "GET", path, token=session.token)
        return page(request, "document.html", exc.status, d=d, values=values, error=exc.message)
    return RedirectResponse(f"{path}?edited=1", status_code=303)


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
