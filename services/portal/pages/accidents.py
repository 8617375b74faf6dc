"""事故: the list, the quick report (快报/接报) form for a phone, the detail with its statutory
clocks, flags and the 四不放过 checklist whose close shows hazard_api's 409 in words."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from services.portal.deps import ClockDep, PostSession, SessionDep, UpstreamDep
from services.portal.forms import COUNT_MAX, LOSS_MAX, Refused, kept, whole
from services.portal.forms import text as _text
from services.portal.pages.report import BEIJING
from services.portal.pages.suspensions import ORDER_ROLES
from services.portal.pages.units import resolve_unit
from services.portal.render import page
from services.portal.upstream import Upstream, UpstreamError

router = APIRouter(include_in_schema=False)
CHANNELS = {
    "enterprise": "企业报告",
    "phone": "电话接报",
    "hospital": "医院",
    "public": "群众举报",
    "media": "媒体报道",
    "higher_authority": "上级交办",
}
TYPES = {
    "fire": "火灾",
    "explosion": "爆炸",
    "poisoning": "中毒和窒息",
    "collapse": "坍塌",
    "fall": "高处坠落",
    "machinery": "机械伤害",
    "lifting": "起重伤害",
    "electric": "触电",
    "road_traffic": "道路交通",
    "other": "其他",
}
CASUALTIES = {
    "deaths": "死亡",
    "missing": "失踪",
    "serious_injuries": "重伤",
    "minor_injuries": "轻伤",
    "trapped": "被困",
    "poisoned": "中毒",
}
# 四不放过 forms, in the order the close checks them: action → (path, title).
FOUR = {
    "submit_investigation": ("investigation", "事故原因（调查报告）"),
    "record_accountability": ("accountability", "责任人员处理"),
    "record_education": ("education", "教育情况"),
    "record_measures": ("measures", "整改措施落实"),
}


@router.get("/accidents")
async def accidents(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    rows = await upstream.call("hazard_api", "GET", "/accidents", token=session.token)
    return page(request, "accidents.html", rows=rows)


async def _form(
    request: Request,
    session: Any,
    clock: Any,
    *,
    error: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    now = clock.now().astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    return page(
        request,
        "accident_new.html",
        status,
        channels=CHANNELS,
        types=TYPES,
        casualties=CASUALTIES,
        now=now,
        error=error,
        values=values or {},
    )


@router.get("/accidents/new")
async def report_form(request: Request, session: SessionDep, clock: ClockDep) -> HTMLResponse:
    return await _form(request, session, clock)


def _when(form: FormData, key: str) -> str | None:
    try:
        return datetime.fromisoformat(_text(form, key)).replace(tzinfo=BEIJING).isoformat()
    except ValueError:
        return None


def quick_report(form: FormData, role: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "enterprise" if role == "enterprise" else _text(form, "channel"),
        "occurred_at": _when(form, "occurred_at"),
        "place": _text(form, "place"),
        "accident_type": _text(form, "accident_type") or None,
        "account": _text(form, "account"),
        "measures_taken": _text(form, "measures_taken") or None,
        "reporter_name": _text(form, "reporter_name"),
        "reporter_phone": _text(form, "reporter_phone"),
        "direct_loss_yuan": whole(
            form, "direct_loss_yuan", "直接经济损失", low=0, high=LOSS_MAX, unit="元"
        ),
    }
    # Blank stays None (not yet known: 漏报, asked for again); a typo is refused, not blanked.
    body |= {
        k: whole(form, k, f"{t}人数", low=0, high=COUNT_MAX, unit="人")
        for k, t in CASUALTIES.items()
    }
    if role != "enterprise":
        body["unit_id"] = _text(form, "unit_id")
        body["received_at"] = _when(form, "received_at")
        # Blank is "now" (the API's default); a time that cannot be read is not.
        if body["received_at"] is None and _text(form, "received_at"):
            raise Refused("请填写正确的接报时间。")
    return body


@router.post("/accidents/new")
async def report(
    request: Request, session: PostSession, upstream: UpstreamDep, clock: ClockDep
) -> Response:
    form = await request.form()
    values = kept(form)
    try:
        body = quick_report(form, session.role)
        if session.role != "enterprise":  # an enterprise reports its own accident
            typed = _text(form, "unit") or _text(form, "unit_id")
            body["unit_id"] = await resolve_unit(upstream, session.token, typed, kind="enterprise")
    except Refused as exc:
        return await _form(request, session, clock, error=exc.message, status=422, values=values)
    if body["occurred_at"] is None:
        return await _form(
            request, session, clock, error="请填写正确的事故发生时间。", status=422, values=values
        )
    try:
        created = await upstream.call(
            "hazard_api", "POST", "/accidents", token=session.token, json=body
        )
    except UpstreamError as exc:
        return await _form(
            request, session, clock, error=exc.message, status=exc.status, values=values
        )
    return RedirectResponse(f"/accidents/{created['id']}?done=report", status_code=303)


async def render(
    request: Request,
    aid: str,
    token: str,
    upstream: Upstream,
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    d, history = await asyncio.gather(
        upstream.call("hazard_api", "GET", f"/accidents/{aid}", token=token),
        upstream.call("hazard_api", "GET", f"/accidents/{aid}/audit", token=token),
    )
    # Every page here is signed in: current_session set the page session.
    may_order = request.state.page_session.role in ORDER_ROLES
    open_order = None
    if may_order:  # an enterprise already under an order is shown it, not offered a second
        orders = await upstream.call("hazard_api", "GET", "/suspensions", token=token)
        unit_id = d["accident"]["unit_id"]
        open_order = next(
            (o for o in orders if o["unit_id"] == unit_id and o["status"] != "resumed"), None
        )
    return page(
        request,
        "accident_detail.html",
        status_code,
        d=d,
        a=d["accident"],
        allowed=d["allowed_actions"],
        four=FOUR,
        casualties=CASUALTIES,
        channels=CHANNELS,
        history=history,
        error=error,
        may_order=may_order and open_order is None,
        open_order=open_order,
    )


@router.get("/accidents/{accident_id}")
async def detail(
    request: Request, accident_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    return await render(request, accident_id, session.token, upstream)


def _lines(form: FormData, key: str) -> list[str]:
    return [line.strip() for line in _text(form, key).splitlines() if line.strip()]


def action_call(form: FormData, aid: str, action: str) -> tuple[str, str, Any] | None:
    base = f"/accidents/{aid}"
    evidence = _text(form, "evidence")
    if action == "submit_investigation":
        body = {"cause": _text(form, "cause"), "report_no": _text(form, "report_no")}
        return "POST", f"{base}/investigation", body | {"evidence": evidence}
    if action == "record_accountability":
        # One person a line: 姓名，单位，处理措施
        persons = [
            dict(
                zip(
                    ("person", "unit", "measure"),
                    (p.strip() for p in line.split("，")),
                    strict=False,
                )
            )
            for line in _lines(form, "persons")
        ]
        return "PUT", f"{base}/accountability", {"persons": persons, "evidence": evidence}
    if action == "record_education":
        body = {"responsible_persons": _text(form, "responsible_persons")}
        return (
            "PUT",
            f"{base}/education",
            body | {"workers": _text(form, "workers"), "evidence": evidence},
        )
    if action == "record_measures":
        # One measure a line: 措施，隐患ID (each measure a hazard of its own, accepted)
        measures = [
            dict(
                zip(
                    ("description", "hazard_id"),
                    (p.strip() for p in line.split("，")),
                    strict=False,
                )
            )
            for line in _lines(form, "measures")
        ]
        return "PUT", f"{base}/measures", {"measures": measures, "evidence": evidence}
    if action == "close":
        return "POST", f"{base}/close", None
    return None


@router.post("/accidents/{accident_id}/actions/{action}")
async def act(
    request: Request, accident_id: str, action: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    form = await request.form()
    call = action_call(form, accident_id, action)
    if call is None:
        return await render(
            request, accident_id, session.token, upstream, error="不支持的操作。", status_code=404
        )
    return await carried_out(request, accident_id, session, upstream, call, done=action)


async def carried_out(
    request: Request,
    aid: str,
    session: Any,
    upstream: Upstream,
    call: tuple[str, str, Any],
    *,
    done: str,
) -> Response:
    """`call` (method, path, body) made as the user: back to the accident, or its page again
    with hazard_api's refusal in words (a 404 stays the not-found page)."""
    method, path, json = call
    try:
        await upstream.call("hazard_api", method, path, token=session.token, json=json)
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        return await render(
            request, aid, session.token, upstream, error=exc.message, status_code=exc.status
        )
    return RedirectResponse(f"/accidents/{aid}?done={done}", status_code=303)
