"""Jinja2 templates with the filters every page uses (Beijing time, Chinese labels)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shared.accident_labels import (
    ACCIDENT_AUDIT_LABELS,
    ACCIDENT_REPORT_KIND_LABELS,
    REPORT_SIGNOFF_LABELS,
)
from shared.apidocs.assets import asset_url
from shared.labels import HAZARD_AUDIT_LABELS, beijing_time, deadline_label, label

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

ROLE_NAMES = {
    "county_office": "县安委办",
    "department": "行业监管部门",
    "township": "乡镇（街道）",
    "enterprise": "生产经营单位",
    "leader": "县领导",
}


def _time(value: str | datetime | None) -> str:
    if value is None or value == "":
        return "—"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return beijing_time(dt)


def _deadline(h: dict[str, Any]) -> str:
    raw = h.get("deadline_at")
    if not raw:
        return "—"
    return deadline_label(datetime.fromisoformat(raw), bool(h.get("deadline_provisional")))


def _yuan(value: int | None, missing: str = "未报") -> str:
    """An amount in whole yuan as a clerk reads it: 1,200,000元（120万元）."""
    if value is None:
        return missing
    if value < 10_000:
        return f"{value}元"
    wan = f"{value / 10_000:.2f}".rstrip("0").rstrip(".")
    return f"{value:,}元（{wan}万元）"


TEMPLATES.env.filters["bj"] = _time
TEMPLATES.env.filters["yuan"] = _yuan
TEMPLATES.env.filters["deadline"] = _deadline
TEMPLATES.env.filters["audit_action"] = lambda action: label(HAZARD_AUDIT_LABELS, action)
TEMPLATES.env.filters["accident_action"] = lambda action: label(ACCIDENT_AUDIT_LABELS, action)
TEMPLATES.env.globals["role_name"] = lambda r: ROLE_NAMES.get(r, r)
TEMPLATES.env.globals["report_kind"] = lambda k: label(ACCIDENT_REPORT_KIND_LABELS, k)
TEMPLATES.env.globals["signoff"] = lambda s: label(REPORT_SIGNOFF_LABELS, s)
TEMPLATES.env.globals["vendored"] = lambda package, name: asset_url("", package, name)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("session", getattr(request.state, "page_session", None))
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
