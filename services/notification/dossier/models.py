"""The proof of service (送达凭证) of one hazard: every notice about it, and how it fared."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from shared.contract import DocumentRef


class LinkUseOut(BaseModel):
    """Somebody other than the recipient used the link (not an acknowledgement)."""

    name: str
    unit: str
    used_at: datetime
    claimed_recipient: bool  # said they were the recipient, with the wrong digits


class ServiceEntry(BaseModel):
    """One notice to one person through one channel."""

    dispatch_id: str
    delivery_id: int
    notified_at: datetime
    person_id: str
    person_name: str
    post: str  # the post the person was told in, at the time
    matter: str  # what the notice asked, e.g. 督促整改
    deadline: str
    document: DocumentRef | None
    channel: str
    address: str  # masked: 138****0009
    provider: str | None
    provider_message_id: str | None
    status: str
    status_label: str
    sent_at: datetime | None
    receipt_at: datetime | None
    receipt_code: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    link_uses: list[LinkUseOut]


class HazardHeader(BaseModel):
    hazard_id: str
    code: str
    unit_name: str
    description: str


class ChainCheck(BaseModel):
    """Whether the record of service verifies (the whole chain, at the time of the call)."""

    ok: bool
    problem: str | None = None
    reason: str | None = None


class Dossier(BaseModel):
    hazard: HazardHeader
    entries: list[ServiceEntry]
    # sha256 over the canonical JSON (sorted keys, no spaces, UTF-8) of `hazard` and `entries`
    # as this answer gives them: anyone can recompute it from the JSON.
    content_sha256: str
    chain: ChainCheck
    generated_at: datetime
