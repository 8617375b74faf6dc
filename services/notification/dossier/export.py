"""The proof of service as a file: CSV (for a spreadsheet) and PDF (to print and file).

The PDF is rendered with WeasyPrint from HTML; its identifier is derived from the content hash
and it carries no creation date, so the same record renders the same bytes.
"""

from __future__ import annotations

import asyncio
import io
import threading
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.notification.dossier.models import Dossier, ServiceEntry
from shared import csv_cells
from shared.labels import beijing_time

CHANNEL_LABELS = {"sms": "短信", "email": "电子邮件"}
COLUMNS = (
    "通知时间",
    "接收人",
    "当时职务",
    "通知事项",
    "整改期限",
    "文书",
    "渠道",
    "号码/邮箱",
    "服务商",
    "服务商消息编号",
    "送达状态",
    "发送时间",
    "状态报告时间",
    "状态报告",
    "签收时间",
    "签收人",
    "他人使用链接",
)
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _uses(entry: ServiceEntry) -> str:
    return "；".join(
        f"{u.name}{'（' + u.unit + '）' if u.unit else ''}于{beijing_time(u.used_at)}"
        + ("冒用本人签收未成功" if u.claimed_recipient else "查看")
        for u in entry.link_uses
    )


def row_of(entry: ServiceEntry) -> list[str]:
    document = entry.document
    return [
        beijing_time(entry.notified_at),
        entry.person_name,
        entry.post,
        entry.matter,
        entry.deadline,
        f"{document.title}（{document.doc_no}）" if document else "",
        CHANNEL_LABELS.get(entry.channel, entry.channel),
        entry.address,
        entry.provider or "",
        entry.provider_message_id or "",
        entry.status_label,
        beijing_time(entry.sent_at, ""),
        beijing_time(entry.receipt_at, ""),
        entry.receipt_code or "",
        beijing_time(entry.acknowledged_at, "未签收"),
        entry.acknowledged_by or "",
        _uses(entry),
    ]


def chain_label(dossier: Dossier) -> str:
    if dossier.chain.ok:
        return "通过（送达记录未被改动）"
    return f"未通过：{dossier.chain.reason}"


def to_csv(dossier: Dossier) -> bytes:
    out = io.StringIO()
    writer = csv_cells.writer(out, lineterminator="\r\n")
    writer.writerow(["隐患", f"{dossier.hazard.code} {dossier.hazard.unit_name}"])
    writer.writerow(COLUMNS)
    writer.writerows(row_of(e) for e in dossier.entries)
    writer.writerow([])
    writer.writerow(["校验值（SHA-256）", dossier.content_sha256])
    writer.writerow(["记录链校验", chain_label(dossier)])
    writer.writerow(["生成时间", beijing_time(dossier.generated_at)])
    # With a BOM: the spreadsheet programs county offices use then read it as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()


def to_html(dossier: Dossier) -> str:
    values: dict[str, Any] = {
        "d": dossier,
        "columns": COLUMNS,
        "rows": [row_of(e) for e in dossier.entries],
        "chain": chain_label(dossier),
        "generated": beijing_time(dossier.generated_at),
    }
    return _env.get_template("dossier.html.j2").render(**values)


class _Renderer:
    """One font configuration for every PDF (loading the CJK fonts is most of a render's
    cost); WeasyPrint's objects are not shared across threads, so renders take turns."""

    def __init__(self) -> None:
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        self.lock = threading.Lock()

    def pdf(self, html: str, identifier: str) -> bytes:
        from weasyprint import HTML

        with self.lock:
            data: bytes = HTML(string=html).write_pdf(
                font_config=self.fonts, pdf_identifier=identifier[:32].encode()
            )
            return data


@cache
def _renderer() -> _Renderer:
    return _Renderer()


async def to_pdf(dossier: Dossier) -> bytes:
    html = to_html(dossier)
    return await asyncio.to_thread(_renderer().pdf, html, dossier.content_sha256)
