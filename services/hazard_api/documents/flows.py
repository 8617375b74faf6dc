"""Document changes: editing a draft, and issuing it (签发) — the 文号, the rendered file and
its sha256, then the document never changes again."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from services.hazard_api.directory.models import Person, Unit
from services.hazard_api.documents import drafting, numbering, render
from services.hazard_api.documents.models import Document
from services.hazard_api.documents.schemas import EditIn
from services.hazard_api.documents.states import DocumentStatus, drafted_here
from services.hazard_api.errors import Forbidden
from services.hazard_api.items.kernel import Change, Context, Outcome
from shared.clock import local

ISSUED = "document.issued"
EDITED = "document.edited"
NOT_DRAFTER = "本公文草稿由{body}拟制，只有拟稿单位可以修改、签发"


def _own(doc: Document, ctx: Context) -> None:
    """Only the drafting office edits and issues its draft (README: 公文, Authority): the
    county office does not issue a department's or township's draft under its 文号."""
    user = ctx.user
    if not drafted_here(user.role, user.unit_id, doc.doc_type, doc.issuer_unit_id):
        raise Forbidden(NOT_DRAFTER.format(body=doc.issuing_body))


def edit(data: EditIn) -> Change[Document, Document]:
    async def change(doc: Document, ctx: Context) -> Outcome[Document]:
        _own(doc, ctx)
        for field, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(doc, field, value)
        return Outcome(doc, audit_action=EDITED)

    return change


async def prefix_of(doc: Document, ctx: Context) -> str:
    county = await drafting.county_name(ctx.session)
    unit = await ctx.session.scalar(select(Unit.name).where(Unit.id == doc.issuer_unit_id))
    return ctx.settings.document_prefixes[doc.doc_type].format(county=county, unit=unit or "")


async def signer_name(ctx: Context) -> str:
    if ctx.user.person_id is not None:
        name = await ctx.session.scalar(select(Person.name).where(Person.id == ctx.user.person_id))
        if name:
            return name
    return ctx.user.username


def issue() -> Change[Document, Document]:
    async def change(doc: Document, ctx: Context) -> Outcome[Document]:
        _own(doc, ctx)
        year = local(ctx.now).year
        # The counter row stays locked from here to the commit (see numbering).
        serial = await numbering.next_serial(
            ctx.session, issuing_body=doc.issuing_body, doc_type=doc.doc_type, year=year
        )
        doc.year, doc.serial = year, serial
        doc.doc_no = numbering.doc_no(await prefix_of(doc, ctx), year, serial)
        doc.status, doc.issued_at = DocumentStatus.ISSUED.value, ctx.now
        doc.issued_by_user_id, doc.issued_by_person_id = ctx.user.id, ctx.user.person_id
        doc.issued_by_name = await signer_name(ctx)
        pdf = await asyncio.to_thread(render.render_pdf, doc, render.Fonts.of(ctx.settings))
        doc.pdf, doc.sha256 = pdf, render.sha256_of(pdf)
        return Outcome(doc, event=ISSUED)

    return change
