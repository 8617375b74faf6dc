"""统计: the 16号令 quarterly/yearly table as of the period's end (`GET /statistics/hazards` in
the user's scope), rolled up by township, department, industry, level or unit, with an ECharts
chart drawn from exactly the table's figures, and the API's CSV/XLSX export."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.deps import ClockDep, SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.upstream import UpstreamError, message_of
from shared.clock import local
from shared.labels import as_of_label

router = APIRouter(include_in_schema=False)

GROUPS = {
    "township": "按乡镇（街道）",
    "department": "按行业监管部门",
    "industry": "按行业",
    "level": "按隐患等级",
    "unit": "按单位",
}
# key, header, drawn in the chart
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("found", "排查隐患", True),
    ("general", "一般隐患", False),
    ("general_rectified", "一般隐患已整改", False),
    ("major", "重大隐患", True),
    ("major_rectified", "重大隐患已整改", False),
    ("rectified", "已整改", True),
    ("rectification_rate", "整改率", False),
    ("overdue", "逾期未整改", True),
    ("listed", "挂牌督办", False),
    ("funds_spent", "治理资金（元）", False),
)
Year = Annotated[int | None, Query(ge=2000, le=2100)]
Quarter = Annotated[Literal["", "1", "2", "3", "4"], Query()]
Group = Annotated[Literal["township", "department", "industry", "level", "unit"], Query()]


def _params(year: int, quarter: str, group_by: str) -> dict[str, Any]:
    params: dict[str, Any] = {"year": year, "group_by": group_by}
    if quarter:
        params["quarter"] = int(quarter)
    return params


def _cell(row: dict[str, Any], key: str) -> str:
    value = row[key]
    if key == "rectification_rate":
        return f"{value * 100:.2f}%"  # as the exported table writes it
    return f"{value:,}" if key == "funds_spent" else str(value)


def chart_data(stats: dict[str, Any]) -> dict[str, Any]:
    """What the chart draws: the table's groups and the charted columns, figure for figure."""
    return {
        "categories": [u["unit_name"] for u in stats["units"]],
        "series": [
            {"key": key, "name": title, "data": [u[key] for u in stats["units"]]}
            for key, title, charted in COLUMNS
            if charted
        ],
    }


@router.get("/statistics")
async def statistics(
    request: Request,
    session: SessionDep,
    upstream: UpstreamDep,
    clock: ClockDep,
    year: Year = None,
    quarter: Quarter = "",
    group_by: Group = "township",
) -> HTMLResponse:
    this_year = local(clock.now()).year
    year = year or this_year
    params = _params(year, quarter, group_by)
    stats = await upstream.call(
        "hazard_api", "GET", "/statistics/hazards", token=session.token, params=params
    )
    return page(
        request,
        "statistics.html",
        stats=stats,
        rows=[
            {"name": u["unit_name"], "cells": [_cell(u, k) for k, _, _ in COLUMNS]}
            for u in stats["units"]
        ],
        total=[_cell(stats["total"], k) for k, _, _ in COLUMNS],
        columns=COLUMNS,
        groups=GROUPS,
        group_by=group_by,
        year=year,
        quarter=quarter,
        years=list(range(this_year, this_year - 5, -1)),
        chart=json.dumps(chart_data(stats), ensure_ascii=False),
        period="年度" if not quarter else f"年第{'一二三四'[int(quarter) - 1]}季度",
        as_of=as_of_label(datetime.fromisoformat(stats["as_of"])),
        query=urlencode(params),
    )


@router.get("/statistics/export.{fmt}")
async def export(
    session: SessionDep,
    upstream: UpstreamDep,
    fmt: Literal["csv", "xlsx"],
    year: Annotated[int, Query(ge=2000, le=2100)],
    quarter: Quarter = "",
    group_by: Group = "township",
) -> Response:
    params = _params(year, quarter, group_by) | {"format": fmt}
    response = await upstream.send(
        "hazard_api", "GET", "/statistics/hazards", token=session.token, params=params
    )
    if response.status_code >= 400:
        raise UpstreamError(response.status_code, message_of(response))
    headers = {"Content-Disposition": response.headers.get("content-disposition", "attachment")}
    return Response(response.content, media_type=response.headers["content-type"], headers=headers)
