"""Official documents (公文) and the 文号 counters they are numbered from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.hazard_api.db import Base
from shared.db import UTCDateTime

ID = String(36)


class Document(Base):
    """One document: a draft anybody with the right may edit, or an issued one (immutable; a
    correction is a new document whose `replaces_id` names it)."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    hazard_id: Mapped[str | None] = mapped_column(ForeignKey("hazards.id"), index=True)
    # The unit the document is about (scope); None for a 通报 of the whole county.
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    # The drafting office's unit: who may see and edit the draft besides the unit's scope.
    issuer_unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    issuing_body: Mapped[str] = mapped_column(String(100))  # 发文机关
    title: Mapped[str] = mapped_column(String(200))
    addressee: Mapped[str] = mapped_column(String(500))  # 主送机关
    body: Mapped[str] = mapped_column(Text)  # 正文: paragraphs, one per line
    table: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # 通报's rows
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)  # 附件说明
    cc: Mapped[str] = mapped_column(String(500), default="")  # 抄送
    printing_body: Mapped[str] = mapped_column(String(100))  # 印发机关
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the item as drafted
    task_id: Mapped[str | None] = mapped_column(String(36), unique=True)  # 拟发督办函 task
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    drafted_by_user_id: Mapped[str | None] = mapped_column(ID)  # None: escalation's task
    year: Mapped[int | None] = mapped_column(Integer)
    serial: Mapped[int | None] = mapped_column(Integer)
    doc_no: Mapped[str | None] = mapped_column(String(80), unique=True)  # 发文字号
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    issued_by_user_id: Mapped[str | None] = mapped_column(ID)
    issued_by_person_id: Mapped[str | None] = mapped_column(ID)
    issued_by_name: Mapped[str | None] = mapped_column(String(50))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DocumentCounter(Base):
    """The last 文号 serial per issuing body, type and year. Issuing increments it inside the
    issuing transaction (the row stays locked until commit), so a rollback gives the number
    back: numbers are gapless and unique."""

    __tablename__ = "document_counters"

    issuing_body: Mapped[str] = mapped_column(String(100), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
