"""登记隐患: the form (criteria of the unit's industry for reference, photos from the phone's
camera, GPS when the browser allows it) → `POST /hazards`, then each photo as evidence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import ClockDep, PostSession, SessionDep, UpstreamDep
from services.portal.forms import Refused, decimal, kept
from services.portal.forms import text as _text
from services.portal.pages.hazard_actions import files_of as _files
from services.portal.pages.hazard_actions import upload
from services.portal.pages.units import resolve_unit
from services.portal.render import page
from services.portal.upstream import UpstreamError

router = APIRouter(include_in_schema=False)
BEIJING = timezone(timedelta(hours=8))
SOURCES = {
    "self_check": "企业自查",
    "inspection": "监管检查",
    "complaint": "举报、热线",
    "supervision": "督查",
}


async def _form(
    request: Request,
    session: Any,
    upstream: Any,
    clock: Any,
    *,
    error: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    unit = await upstream.call(
        "hazard_api", "GET", f"/units/{session.unit_id}", token=session.token
    )
    criteria = []
    if session.role == "enterprise" and unit.get("industry_code"):
        criteria = await upstream.call(
            "hazard_api",
            "GET",
            "/criteria",
            token=session.token,
            params={"industry_code": unit["industry_code"]},
        )
    now = clock.now().astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    return page(
        request,
        "report.html",
        status,
        unit=unit,
        criteria=criteria,
        sources=SOURCES,
        now=now,
        error=error,
        values=values or {},
    )


@router.get("/hazards/new")
async def report_form(
    request: Request, session: SessionDep, upstream: UpstreamDep, clock: ClockDep
) -> HTMLResponse:
    return await _form(request, session, upstream, clock)


@router.post("/hazards/new")
async def report(
    request: Request, session: PostSession, upstream: UpstreamDep, clock: ClockDep
) -> Response:
    form = await request.form()
    values = kept(form)
    found = _text(form, "found_at")
    try:
        found_at = datetime.fromisoformat(found).replace(tzinfo=BEIJING).isoformat()
    except ValueError:
        return await _form(
            request,
            session,
            upstream,
            clock,
            error="请填写正确的发现时间。",
            status=422,
            values=values,
        )
    body: dict[str, Any] = {
        "location": _text(form, "location"),
        "description": _text(form, "description"),
        "source": _text(form, "source") or "self_check",
        "found_at": found_at,
    }
    try:
        if typed := _text(form, "unit") or _text(form, "unit_id"):
            body["unit_id"] = await resolve_unit(upstream, session.token, typed, kind=None)
        lat = decimal(form, "latitude", "纬度", low=-90, high=90)
        lon = decimal(form, "longitude", "经度", low=-180, high=180)
        if (lat is None) != (lon is None):
            raise Refused("纬度和经度须同时填写或同时不填")
    except Refused as exc:
        return await _form(
            request, session, upstream, clock, error=exc.message, status=422, values=values
        )
    if lat is not None and lon is not None:
        body["latitude"], body["longitude"] = lat, lon
    try:
        created = await upstream.call(
            "hazard_api", "POST", "/hazards", token=session.token, json=body
        )
    except UpstreamError as exc:
        return await _form(
            request, session, upstream, clock, error=exc.message, status=exc.status, values=values
        )
    try:
        for photo in _files(form, "photos"):
            await upload(upstream, session.token, created["id"], photo, "hazard")
    except UpstreamError:
        # The hazard stands: the form again would register it twice. Its page says what to do.
        return RedirectResponse(
            f"/hazards/{created['id']}?tab=evidence&photo=failed", status_code=303
        )
    return RedirectResponse(f"/hazards/{created['id']}?done=report", status_code=303)
