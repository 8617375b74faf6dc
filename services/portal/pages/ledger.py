"""隐患台账: filters in the URL (passed to `GET /hazards` as they are), sorting, paging, a column
chooser, and the export of exactly the filtered set as CSV or XLSX (hazard_api's streamed
`GET /hazards/export`, passed through)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.render import _deadline, _time, page

router = APIRouter(include_in_schema=False)

FILTERS = (
    "status",
    "level",
    "grade",
    "overdue",
    "listed",
    "listing_level",
    "township_id",
    "department_id",
    "industry_code",
    "due_within_days",
    "extension_pending",
    "open",
    "q",
    "deadline_from",
    "deadline_to",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _cell(h: dict[str, Any], key: str) -> str:
    match key:
        case "deadline_at":
            return _deadline(h)
        case "reported_at" | "found_at":
            return _time(h.get(key))
        case "overdue":
            return "是" if h.get("overdue") else "否"
        case "listing_level":
            return h.get("listing_level_label") or ("—" if not h.get("listing_level") else "")
        case "grade":
            return f"{h['grade']}级" if h.get("grade") else "—"
    value = h.get(key)
    return "—" if value in (None, "") else str(value)


# key → header; the first ones are shown unless the user chooses others (cols=…).
COLUMNS: dict[str, str] = {
    "code": "隐患编号",
    "unit_name": "单位",
    "description": "隐患描述",
    "status_label": "状态",
    "level_label": "等级",
    "deadline_at": "整改期限",
    "grade": "分级",
    "listing_level": "挂牌",
    "overdue": "逾期",
    "location": "位置",
    "found_at": "发现时间",
    "reported_at": "登记时间",
}
DEFAULT_COLUMNS = ("code", "unit_name", "description", "status_label", "level_label", "deadline_at")
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SORTS = {"found_at": "发现时间", "deadline_at": "整改期限", "reported_at": "登记时间"}


def api_filters(request: Request) -> list[tuple[str, str]]:
    """The URL's filters as `GET /hazards` parameters (dates as Beijing days)."""
    out = []
    for key in FILTERS:
        value = request.query_params.get(key, "").strip()
        if not value:
            continue
        if key in ("deadline_from", "deadline_to") and _DATE.match(value):
            value += "T00:00:00+08:00" if key == "deadline_from" else "T23:59:59+08:00"
        out.append((key, value))
    sort = request.query_params.get("sort", "")
    if sort:
        out.append(("sort", sort))
    return out


def chosen_columns(request: Request) -> list[str]:
    cols = [c for c in request.query_params.getlist("cols") if c in COLUMNS]
    return cols or list(DEFAULT_COLUMNS)


@router.get("/hazards")
async def ledger(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    params = api_filters(request)
    page_no = request.query_params.get("page", "1")
    page_no = page_no if page_no.isdigit() and 0 < int(page_no) <= 100_000 else "1"
    body = await upstream.call(
        "hazard_api",
        "GET",
        "/hazards",
        token=session.token,
        params=[*params, ("page", page_no), ("page_size", "20")],
    )
    cols = chosen_columns(request)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    # Each part of the query encoded once; the page's dozen links are joined from them.
    filters = urlencode([(k, v) for k, v in kept if k not in ("sort", "cols")])
    chosen = urlencode([(k, v) for k, v in kept if k == "cols"])
    sorted_by = urlencode([(k, v) for k, v in kept if k == "sort"])
    everything = urlencode(kept)
    total, current = body["total"], int(page_no)
    pages = max(1, (total + 19) // 20)
    # (id, first cell, the other cells): unpacked by the template's loop, no look-ups per row.
    rows = []
    for h in body["items"]:
        cells = [_cell(h, c) for c in cols]
        rows.append((h["id"], cells[0], cells[1:]))
    return page(
        request,
        "ledger.html",
        rows=rows,
        total=total,
        total_exact=body.get("total_exact", True),
        page_no=current,
        pages=pages,
        columns=COLUMNS,
        cols=cols,
        sort=request.query_params.get("sort", "-found_at"),
        sort_links=[
            (_query(filters, f"sort={sign}{key}", chosen), title, arrow)  # keys need no quoting
            for key, title in SORTS.items()
            for sign, arrow in (("", "↑"), ("-", "↓"))
        ],
        values={k: request.query_params.get(k, "") for k in FILTERS},
        page_url=lambda n: "/hazards?" + _query(everything, f"page={n}"),
        export_query=_query(filters, sorted_by, chosen),
    )


def _query(*parts: str) -> str:
    """Encoded query parts joined as urlencode would have written them all at once."""
    return "&".join(p for p in parts if p)


@router.get("/hazards/export.{fmt}")
async def export(
    fmt: str, request: Request, session: SessionDep, upstream: UpstreamDep
) -> StreamingResponse:
    """hazard_api's streamed export of exactly the filtered set, passed through chunk by chunk
    (the portal never holds the file)."""
    if fmt not in EXPORT_TYPES:
        raise StarletteHTTPException(404)
    params = [*api_filters(request), ("format", fmt)]
    answer = await upstream.stream(
        "hazard_api", "/hazards/export", token=session.token, params=params
    )
    headers = {
        "Content-Disposition": answer.headers.get(
            "content-disposition", f'attachment; filename="hazards.{fmt}"'
        )
    }
    return StreamingResponse(
        answer.content.iter_any(),
        media_type=answer.headers.get("content-type", EXPORT_TYPES[fmt]),
        headers=headers,
        background=BackgroundTask(answer.release),
    )
