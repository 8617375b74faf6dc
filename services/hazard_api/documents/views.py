"""公文: draft, edit and issue (签发); read as JSON, GB/T 9704 HTML and PDF; verify a copy."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import undefer

from services.hazard_api.auth.deps import TokenClaims
from services.hazard_api.deps import ClockDep, SessionDep, SettingsDep
from services.hazard_api.documents import flows, render
from services.hazard_api.documents.kind import (
    DOCUMENT,
    DOCUMENT_DRAFT,
    document_detail,
    document_out,
    listed,
)
from services.hazard_api.documents.models import Document
from services.hazard_api.documents.schemas import (
    DocumentDetail,
    DocumentOut,
    DraftIn,
    EditIn,
    VerifyOut,
)
from services.hazard_api.documents.states import Action, DocumentStatus
from services.hazard_api.errors import Conflict, NotFound
from services.hazard_api.fields import EntityId, IdPath
from services.hazard_api.hazards.deps import HazardReader, HazardTransitions
from services.hazard_api.items.requests import create_from
from shared.contract import DocumentType

router = APIRouter(tags=["documents"])

PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "PDF（GB/T 9704-2012）"}
}
HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "HTML（与PDF同一版式）"}
}


async def _get(session: SessionDep, user: HazardReader, document_id: IdPath) -> Document:
    doc = await session.scalar(DOCUMENT.scoped(user, document_id).options(undefer(Document.pdf)))
    if doc is None:
        raise NotFound(DOCUMENT.not_found)
    return doc


Visible = Annotated[Document, Depends(_get)]


@router.post("/documents", status_code=status.HTTP_201_CREATED, summary="拟制公文（草稿）")
async def draft(
    data: DraftIn, claims: TokenClaims, clock: ClockDep, request: Request
) -> DocumentOut:
    # No session dependency: the kernel opens the one transaction (SQLite has one writer).
    return await create_from(
        request, DOCUMENT, DOCUMENT_DRAFT, data, claims=claims, now=clock.now()
    )


@router.get("/documents", summary="公文列表（按角色范围）")
async def list_(
    session: SessionDep,
    user: HazardReader,
    doc_type: DocumentType | None = None,
    doc_status: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    hazard_id: EntityId | None = None,
    doc_no: Annotated[
        str | None, Query(max_length=100, description="文号，如 演示县安委督〔2026〕3号")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DocumentOut]:
    query = listed(user)
    if doc_no is not None:
        query = query.where(Document.doc_no == doc_no.strip())
    if doc_type is not None:
        query = query.where(Document.doc_type == doc_type.value)
    if doc_status is not None:
        query = query.where(Document.status == doc_status.value)
    if hazard_id is not None:
        query = query.where(Document.hazard_id == hazard_id)
    rows = await session.scalars(
        query.order_by(Document.drafted_at.desc(), Document.id).limit(limit)
    )
    return [document_out(d) for d in rows]


@router.get("/documents/{document_id}", summary="公文（含当前账号可办理的操作）")
async def get(doc: Visible, user: HazardReader) -> DocumentDetail:
    return document_detail(doc, user)


@router.patch("/documents/{document_id}", summary="修改公文草稿（已印发的公文不可修改）")
async def edit(document_id: IdPath, data: EditIn, tx: HazardTransitions) -> DocumentOut:
    doc, _ = await tx.apply(DOCUMENT, document_id, Action.EDIT, flows.edit(data))
    return document_out(doc)


@router.post("/documents/{document_id}/issue", summary="签发公文（编定文号、印发）")
async def issue(document_id: IdPath, tx: HazardTransitions) -> DocumentOut:
    doc, _ = await tx.apply(DOCUMENT, document_id, Action.ISSUE, flows.issue())
    return document_out(doc)


@router.get(
    "/documents/{document_id}/html", response_class=Response, responses=HTML, summary="公文HTML"
)
async def html(doc: Visible, settings: SettingsDep) -> Response:
    page = render.render_html(doc, render.Fonts.of(settings))
    return Response(page, media_type="text/html; charset=utf-8")


@router.get(
    "/documents/{document_id}/pdf", response_class=Response, responses=PDF, summary="公文PDF"
)
async def pdf(doc: Visible, settings: SettingsDep) -> Response:
    # An issued document is served as issued; a draft is rendered for review.
    data = doc.pdf
    if data is None:
        data = await asyncio.to_thread(render.render_pdf, doc, render.Fonts.of(settings))
    name = f"{doc.doc_no or '草稿'}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/documents/{document_id}/verify", summary="按记录重新生成并与签发时的sha256比对")
async def verify(doc: Visible, settings: SettingsDep) -> VerifyOut:
    if doc.sha256 is None or doc.doc_no is None:
        raise Conflict("公文尚未印发，没有可比对的文件")
    again = await asyncio.to_thread(render.render_pdf, doc, render.Fonts.of(settings))
    rendered = render.sha256_of(again)
    return VerifyOut(
        document_id=doc.id,
        doc_no=doc.doc_no,
        sha256=doc.sha256,
        rendered_sha256=rendered,
        matches=rendered == doc.sha256,
    )
