"""节假日安排 (county office only): the years the services count working days on, official or
预计, who loaded each schedule and when; a year's schedule loaded from the form or from the
same JSON/YAML file the CLI takes (`PUT /calendar/{year}` checks it and recounts deadlines)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from services.portal.deps import ClockDep, PostSession, SessionDep, UpstreamDep
from services.portal.forms import text as _text
from services.portal.pages.directory import TABS, office_only
from services.portal.render import page
from services.portal.upstream import Upstream, UpstreamError
from shared.clock import Clock, local

router = APIRouter(include_in_schema=False)
_SEPARATORS = re.compile(r"[\s,，、；;]+")
MAX_FILE_BYTES = 64 * 1024


class ScheduleFileError(Exception):
    pass


def years_shown(clock: Clock) -> list[int]:
    """Last year to next year: the years hazard_api lets the office load."""
    this = local(clock.now()).year
    return [this - 1, this, this + 1]


async def _schedules(upstream: Upstream, token: str, years: list[int]) -> list[dict[str, Any]]:
    return [await upstream.call("hazard_api", "GET", f"/calendar/{y}", token=token) for y in years]


async def _page(
    request: Request,
    session: Any,
    upstream: Upstream,
    clock: Clock,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    years = years_shown(clock)
    context.setdefault("values", {"year": str(years[-1])})
    return page(
        request,
        "calendar.html",
        status,
        tabs=TABS,
        tab="calendar",
        years=years,
        schedules=await _schedules(upstream, session.token, years),
        error=context.pop("error", ""),
        done=context.pop("done", None),
        **context,
    )


@router.get("/directory/calendar")
async def calendar(
    request: Request, session: SessionDep, upstream: UpstreamDep, clock: ClockDep
) -> HTMLResponse:
    office_only(session)
    return await _page(request, session, upstream, clock)


def _days(text: str) -> list[str]:
    return [d for d in _SEPARATORS.split(text.strip()) if d]


async def _from_file(upload: UploadFile) -> dict[str, Any]:
    raw = await upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ScheduleFileError("放假安排文件过大（不超过 64 KB）。")
    try:
        text = raw.decode("utf-8-sig")
        name = (upload.filename or "").lower()
        data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError):
        raise ScheduleFileError("文件不是 UTF-8 编码的 JSON 或 YAML，请检查后重新选择。") from None
    if not isinstance(data, dict):
        raise ScheduleFileError("文件内容应包含 year、notice_no、holidays、workdays 四项。")
    return data


async def _body(form: Any) -> tuple[int, dict[str, Any]]:
    """The year and the `PUT /calendar/{year}` body from the file, else from the fields."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await _from_file(upload)
        year = data.get("year") or _text(form, "year")
    else:
        year = _text(form, "year")
        data = {
            "notice_no": _text(form, "notice_no"),
            "holidays": _days(_text(form, "holidays")),
            "workdays": _days(_text(form, "workdays")),
        }
    if not str(year).isdigit():
        raise ScheduleFileError("请选择年份。")
    data.pop("year", None)
    return int(year), data


@router.post("/directory/calendar")
async def load(
    request: Request, session: PostSession, upstream: UpstreamDep, clock: ClockDep
) -> HTMLResponse:
    office_only(session)
    form = await request.form()
    values = {k: _text(form, k) for k in ("year", "notice_no", "holidays", "workdays")}
    try:
        year, body = await _body(form)
        done = await upstream.call(
            "hazard_api", "PUT", f"/calendar/{year}", token=session.token, json=body
        )
    except ScheduleFileError as exc:
        return await _page(request, session, upstream, clock, 422, error=str(exc), values=values)
    except UpstreamError as exc:
        return await _page(
            request, session, upstream, clock, exc.status, error=exc.message, values=values
        )
    return await _page(request, session, upstream, clock, done=done)
