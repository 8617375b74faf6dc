"""Official documents (公文, #14), on hazard.events."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime

from shared.contract.base import Payload


# Official documents (公文, #14) go on hazard.events keyed by their hazard (a 通报 without one
# by its own id): escalation, which consumes that topic, closes the 拟发督办函 task with them.
class DocumentType(StrEnum):
    RECTIFICATION_NOTICE = "rectification_notice"  # 隐患整改通知书
    LISTING_NOTICE = "listing_notice"  # 挂牌督办通知书
    SUPERVISION_LETTER = "supervision_letter"  # 督办函
    BULLETIN = "bulletin"  # 通报
    DELISTING_NOTICE = "delisting_notice"  # 摘牌销号通知


class DocumentRef(Payload):
    """An issued document as a text cites it: its 文号 and where to read it."""

    document_id: str
    doc_type: DocumentType
    doc_no: str
    title: str
    issuing_body: str
    url: str  # relative to hazard_api (the portal shows /documents/{id})


class DocumentIssued(Payload):
    """A person issued (签发) a document: it has its 文号 and is immutable from now on
    (document.issued). `replaces_id`: the issued document this one corrects."""

    document_id: str
    doc_type: DocumentType
    doc_no: str  # 文号, e.g. 演示县安委办〔2026〕12号
    title: str
    issuing_body: str
    hazard_id: str | None = None
    unit_id: str | None = None
    task_id: str | None = None  # the escalation task (拟发督办函) it answers
    replaces_id: str | None = None
    sha256: str
    url: str  # the document's PDF, relative to hazard_api
    issued_at: AwareDatetime
    issued_by_person_id: str | None = None
