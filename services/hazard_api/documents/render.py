"""A document as GB/T 9704-2012 HTML (the portal shows it) and PDF (WeasyPrint).

The same record renders the same bytes: the PDF's dates are the document's issue time (its
drafting time for a draft), its identifier is derived from the document's id, and nothing
else in it depends on when or where it is rendered. So an issued document can be rendered
again from its record and compared with the sha256 in the audit chain.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from services.hazard_api.config import Settings
from services.hazard_api.documents.models import Document
from shared.clock import local
from shared.contract import DocumentType

TEMPLATES = Path(__file__).parent / "templates"
# 通报's table: the overdue items by township and department.
COLUMNS = {
    "township": "乡镇（街道）",
    "departments": "行业监管部门",
    "unit_name": "单位",
    "code": "隐患编号",
    "deadline": "整改期限",
    "overdue_days": "逾期天数",
}
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html.j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Fonts:
    title: str  # 方正小标宋
    body: str  # 仿宋
    heading: str  # 黑体

    @classmethod
    def of(cls, settings: Settings) -> Fonts:
        return cls(
            settings.document_font_title,
            settings.document_font_body,
            settings.document_font_heading,
        )


def written_date(at: datetime) -> str:
    """成文日期 and 印发日期 (GB/T 9704 7.3.5.1, 7.4.3): Arabic numerals, the year in full, no
    leading zeros — 2026年3月6日, in Beijing time."""
    day = local(at).date()
    return f"{day.year}年{day.month}月{day.day}日"


def stamp_of(doc: Document) -> datetime:
    return doc.issued_at or doc.drafted_at


@cache
def _css(fonts: Fonts) -> str:
    return _env.get_template("gbt9704.css.j2").render(fonts=fonts)


def render_html(doc: Document, fonts: Fonts) -> str:
    stamp = stamp_of(doc)
    letter = doc.doc_type == DocumentType.SUPERVISION_LETTER
    return _env.get_template("document.html.j2").render(
        doc=doc,
        # 函 (信函格式) carries the body's name alone; the others are 文件.
        masthead=doc.issuing_body if letter else f"{doc.issuing_body}文件",
        paragraphs=[p.strip() for p in doc.body.splitlines() if p.strip()],
        columns=COLUMNS,
        date=written_date(stamp),
        stamp=stamp.isoformat(),
        # The style sheet is ours (font names from the operator's settings), not user text:
        # escaped, its quoted font families would be dropped and the stand-in fonts lost.
        css=Markup(_css(fonts)),
    )


class Renderer:
    """HTML → PDF with one font configuration for every document (building it and loading the
    CJK fonts is much of a render's cost). WeasyPrint's objects are not shared across threads:
    renders take turns."""

    def __init__(self) -> None:
        from weasyprint.text.fonts import FontConfiguration

        self._fonts = FontConfiguration()
        self._lock = threading.Lock()

    def pdf(self, html: str, identifier: str) -> bytes:
        from weasyprint import HTML

        with self._lock:
            data: bytes = HTML(string=html).write_pdf(
                font_config=self._fonts,
                pdf_identifier=hashlib.sha256(identifier.encode()).hexdigest()[:32].encode(),
            )
        return data


@cache
def renderer() -> Renderer:
    return Renderer()


def render_pdf(doc: Document, fonts: Fonts) -> bytes:
    return renderer().pdf(render_html(doc, fonts), doc.id)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
