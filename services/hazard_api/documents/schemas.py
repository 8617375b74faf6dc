"""Request and response bodies of official documents (公文)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.hazard_api.fields import EntityId, Filled, Printable, text
from shared.contract import DocumentType

Title = Annotated[str, text(200), Printable, Filled]
Addressee = Annotated[str, text(500), Printable, Filled]
Body = Annotated[str, text(20_000), Printable, Filled]
Line = Annotated[str, text(200), Printable, Filled]
Cc = Annotated[str, text(500, min_length=0), Printable]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftIn(_In):
    """A new draft, from the hazard's data (a 通报 from the county's overdue items). Fields left
    out get the county's usual wording; `replaces_id` names an issued document this corrects."""

    doc_type: DocumentType
    hazard_id: EntityId | None = None
    replaces_id: EntityId | None = None
    title: Title | None = None
    addressee: Addressee | None = None
    body: Body | None = None
    attachments: Annotated[list[Line], Field(max_length=20)] | None = None
    cc: Cc | None = None


class EditIn(_In):
    """Changes to a draft (an issued document is never changed)."""

    title: Title | None = None
    addressee: Addressee | None = None
    body: Body | None = None
    attachments: Annotated[list[Line], Field(max_length=20)] | None = None
    cc: Cc | None = None


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    doc_type: str
    type_label: str = ""
    status: str
    status_label: str = ""
    hazard_id: str | None
    unit_id: str | None
    issuing_body: str
    title: str
    addressee: str
    body: str
    table: list[dict[str, Any]]
    attachments: list[str]
    cc: str
    printing_body: str
    facts: dict[str, Any]
    task_id: str | None
    replaces_id: str | None
    drafted_at: datetime
    doc_no: str | None
    issued_at: datetime | None
    issued_by_name: str | None
    sha256: str | None


class DocumentDetail(DocumentOut):
    """One document as `GET /documents/{id}` answers it, with what the caller may do now."""

    # The authority table's actions for the caller's role and the document's state, on its own
    # office's draft only (中文 labels keyed by action); the kernel still guards each request.
    allowed_actions: dict[str, str] = {}


class VerifyOut(BaseModel):
    """The document rendered again from its record, compared with the sha256 issued."""

    document_id: str
    doc_no: str
    sha256: str
    rendered_sha256: str
    matches: bool
