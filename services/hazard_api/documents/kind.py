"""The document as a supervised item: its scope, audited state, event, and its creation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.hazard_api.auth.models import UserRole
from services.hazard_api.auth.scope import in_scope
from services.hazard_api.auth.service import AuthUser
from services.hazard_api.config import Settings
from services.hazard_api.directory.models import Unit
from services.hazard_api.documents import drafting
from services.hazard_api.documents.models import Document
from services.hazard_api.documents.schemas import DocumentDetail, DocumentOut, DraftIn
from services.hazard_api.documents.states import (
    AUTHORITY,
    COUNTY_WIDE,
    DOCUMENT_STATUS_LABELS,
    ROLES,
    Action,
    DocumentStatus,
    drafted_here,
)
from services.hazard_api.errors import Conflict, FieldError, NotFound
from services.hazard_api.hazards.admission import admitted_caller
from services.hazard_api.hazards.models import Hazard
from services.hazard_api.items.kernel import Context, Creation, ItemKind, record_creation
from shared.contract import (
    HAZARD_EVENTS,
    DocumentIssued,
    DocumentType,
    Envelope,
    HazardStatus,
    Producer,
    UnitKind,
)
from shared.labels import DOCUMENT_TYPE_LABELS

NOT_FOUND = "公文不存在或不在您的管辖范围内"
DRAFTED = "document.drafted"
S = DocumentStatus


def _drafted_here(user: AuthUser) -> ColumnElement[bool]:
    """`states.drafted_here` as a condition: a role that drafts the type, and for a 整改通知书
    the same unit. A leader or an integration client bound to the county shares the county
    office's `issuer_unit_id` but drafts nothing: none of its drafts."""
    types = [t for t, roles in ROLES.items() if user.role in roles]
    own_unit = [t for t in types if t not in COUNTY_WIDE]
    county_wide = [t for t in types if t in COUNTY_WIDE]
    return or_(
        Document.doc_type.in_(county_wide),
        and_(Document.doc_type.in_(own_unit), Document.issuer_unit_id == user.unit_id),
    )


def _visible(user: AuthUser) -> ColumnElement[bool]:
    """A draft: its drafting office and the county office. Issued: whoever sees the unit it
    concerns, its office, and (a 通报 of the whole county) every supervisor and leader."""
    if user.role == UserRole.COUNTY_OFFICE:
        return true()
    issued_to = in_scope(user, Document.unit_id)
    if user.role != UserRole.ENTERPRISE:
        issued_to = or_(issued_to, Document.unit_id.is_(None))
    issued = and_(Document.status == S.ISSUED.value, issued_to)
    return or_(_drafted_here(user), issued)


def scoped(user: AuthUser, document_id: str) -> Select[Document]:
    return select(Document).where(Document.id == document_id, _visible(user))


def listed(user: AuthUser) -> Select[Document]:
    return select(Document).where(_visible(user))


def snapshot(d: Document) -> dict[str, Any]:
    return {
        "status": d.status,
        "doc_type": d.doc_type,
        "hazard_id": d.hazard_id,
        "title": d.title,
        "addressee": d.addressee,
        "body": d.body,
        "attachments": list(d.attachments or []),
        "cc": d.cc,
        "replaces_id": d.replaces_id,
        "doc_no": d.doc_no,
        "sha256": d.sha256,
        "issued_at": d.issued_at.isoformat() if d.issued_at else None,
        "issued_by_person_id": d.issued_by_person_id,
    }


def envelope_of(
    d: Document, event: str, user: AuthUser, now: datetime, note: str | None
) -> Envelope:
    assert d.doc_no is not None and d.sha256 is not None and d.issued_at is not None
    payload = DocumentIssued(
        document_id=d.id,
        doc_type=DocumentType(d.doc_type),
        doc_no=d.doc_no,
        title=d.title,
        issuing_body=d.issuing_body,
        hazard_id=d.hazard_id,
        unit_id=d.unit_id,
        task_id=d.task_id,
        replaces_id=d.replaces_id,
        sha256=d.sha256,
        url=f"/documents/{d.id}/pdf",
        issued_at=d.issued_at,
        issued_by_person_id=d.issued_by_person_id,
    )
    return Envelope.of(
        payload, aggregate_id=d.hazard_id or d.id, producer=Producer.HAZARD_API, occurred_at=now
    )


DOCUMENT: ItemKind[Document] = ItemKind(
    entity_type="document",
    authority=AUTHORITY,
    not_found=NOT_FOUND,
    scoped=scoped,
    origin=lambda d: d.doc_type,
    snapshot=snapshot,
    envelope=envelope_of,
    topic=HAZARD_EVENTS,
)


def allowed_actions(d: Document, user: AuthUser) -> dict[str, str]:
    """What the caller may do with the document now (what a page offers): the table's actions
    for its role and the document's state, and only on its own office's draft."""
    if not drafted_here(user.role, user.unit_id, d.doc_type, d.issuer_unit_id):
        return {}
    allowed = AUTHORITY.allowed(status=d.status, origin=d.doc_type, role=user.role)
    return {action: AUTHORITY.rules[action].label for action in allowed}


def document_out(d: Document) -> DocumentOut:
    out = DocumentOut.model_validate(d)
    return out.model_copy(
        update={
            "type_label": DOCUMENT_TYPE_LABELS[d.doc_type],
            "status_label": DOCUMENT_STATUS_LABELS[d.status],
        }
    )


def document_detail(d: Document, user: AuthUser) -> DocumentDetail:
    out = document_out(d).model_dump()
    return DocumentDetail.model_validate(out | {"allowed_actions": allowed_actions(d, user)})


@dataclass(frozen=True)
class Target:
    hazard: Hazard | None
    replaces: Document | None


async def _admit(
    data: DraftIn, claims: Mapping[str, Any], session: AsyncSession
) -> tuple[AuthUser, Target]:
    who = await admitted_caller(claims, session)
    hazard = None
    if data.hazard_id is not None:
        hazard = await session.scalar(
            select(Hazard).where(Hazard.id == data.hazard_id, in_scope(who, Hazard.unit_id))
        )
        if hazard is None:
            raise NotFound("隐患不存在或不在您的管辖范围内")
    elif data.doc_type != DocumentType.BULLETIN:
        raise FieldError("hazard_id", f"{DOCUMENT_TYPE_LABELS[data.doc_type]}须针对一项隐患")
    replaces = None
    if data.replaces_id is not None:
        replaces = await session.scalar(scoped(who, data.replaces_id))
        if replaces is None or replaces.status != S.ISSUED.value:
            raise FieldError("replaces_id", "被更正的公文不存在或尚未印发")
        if replaces.doc_type != data.doc_type or replaces.hazard_id != data.hazard_id:
            raise FieldError("replaces_id", "更正公文须与原公文类型相同、针对同一隐患")
    return who, Target(hazard, replaces)


def _check_hazard(doc_type: DocumentType, hazard: Hazard | None) -> None:
    if hazard is None:
        return
    if hazard.status == HazardStatus.VOIDED.value:
        raise Conflict("该隐患已作废，不能据此拟制公文")
    closing = (HazardStatus.ACCEPTED.value, HazardStatus.CLOSED.value)
    if doc_type == DocumentType.DELISTING_NOTICE and hazard.status not in closing:
        raise Conflict("隐患尚未验收通过，不能拟制摘牌销号通知")


async def issuer_of(session: AsyncSession, doc_type: str, user: AuthUser) -> str:
    """The office a draft belongs to: the county's for county-wide documents (whoever drafts
    them there), the drafting department's or township's for a 整改通知书."""
    if doc_type == DocumentType.RECTIFICATION_NOTICE:
        return user.unit_id
    county = await session.scalar(
        select(Unit.id).where(Unit.kind == UnitKind.COUNTY.value).limit(1)
    )
    return county or user.unit_id


async def body_names(
    session: AsyncSession, settings: Settings, doc_type: str, issuer_unit_id: str
) -> tuple[str, str]:
    """发文机关 and 印发机关 of a document of this type from this office."""
    county = await drafting.county_name(session)
    unit = await session.scalar(select(Unit.name).where(Unit.id == issuer_unit_id)) or ""
    body = settings.document_bodies[doc_type].format(county=county, unit=unit)
    office = settings.document_bodies[DocumentType.BULLETIN].format(county=county, unit=unit)
    printing = body if doc_type == DocumentType.RECTIFICATION_NOTICE else office
    return body, printing


async def new_draft(
    data: DraftIn, target: Target, ctx: Context, *, task_id: str | None = None
) -> Document:
    session, now = ctx.session, ctx.now
    _check_hazard(data.doc_type, target.hazard)
    county = await drafting.county_name(session)
    if target.hazard is not None:
        words = await drafting.hazard_words(session, data.doc_type, target.hazard, county, now)
    else:
        words = await drafting.bulletin_words(session, county, now)
    issuer = await issuer_of(session, data.doc_type, ctx.user)
    body_name, printing = await body_names(session, ctx.settings, data.doc_type, issuer)
    body = data.body or "\n".join(words.body)
    if target.replaces is not None and data.body is None:
        body = (
            f"本文更正《{target.replaces.title}》（{target.replaces.doc_no}），"
            f"原文同时废止。\n{body}"
        )
    doc = Document(
        id=str(uuid.uuid4()),
        doc_type=data.doc_type.value,
        status=S.DRAFT.value,
        hazard_id=target.hazard.id if target.hazard else None,
        unit_id=target.hazard.unit_id if target.hazard else None,
        issuer_unit_id=issuer,
        issuing_body=body_name,
        title=data.title or words.title,
        addressee=data.addressee or words.addressee,
        body=body,
        table=words.table,
        attachments=list(data.attachments or []),
        cc=words.cc if data.cc is None else data.cc,
        printing_body=printing,
        facts=words.facts,
        task_id=task_id,
        replaces_id=target.replaces.id if target.replaces else None,
        drafted_at=now,
        drafted_by_user_id=None if task_id else ctx.user.id,
        audit_seq=0,
        audit_head="",
        updated_at=now,
    )
    session.add(doc)
    record_creation(DOCUMENT, doc, DRAFTED, ctx)
    return doc


async def _write(data: DraftIn, target: Target, ctx: Context) -> DocumentOut:
    return document_out(await new_draft(data, target, ctx))


DOCUMENT_DRAFT: Creation[DraftIn, Target, DocumentOut] = Creation(
    action=Action.DRAFT, origin=lambda d: d.doc_type, admit=_admit, write=_write, fast=None
)
