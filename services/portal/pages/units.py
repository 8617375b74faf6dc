"""Choosing a unit by its name: a township officer reporting an accident on a phone knows
「红星烟花爆竹有限公司」, not the directory's id. The form's unit field suggests the caller's
units as they type (a datalist filled by htmx from hazard_api's `/units?q=`, within the caller's
scope), and whatever was typed is resolved here: an option as suggested (「名称（编号）」), an
id, a full name, or a part of a name that only one unit has."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.forms import Refused
from services.portal.render import page
from services.portal.upstream import Upstream, UpstreamError

router = APIRouter(include_in_schema=False)
SUGGESTED = 20
KINDS = {"enterprise", "township", "department", "county", "village"}
# An option as suggested: the name, then the id in full-width brackets.
_OPTION = re.compile(r"^(?P<name>.*)（(?P<id>[^（）]+)）$")
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,36}$")  # what hazard_api takes as an id


def option(unit: dict[str, Any]) -> str:
    return f"{unit['name']}（{unit['id']}）"


async def _units(upstream: Upstream, token: str, q: str, kind: str | None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"q": q[:50], "limit": SUGGESTED}
    if kind is not None:
        params["kind"] = kind
    found: list[dict[str, Any]] = await upstream.call(
        "hazard_api", "GET", "/units", token=token, params=params
    )
    return found


@router.get("/units/options")
async def options(
    request: Request,
    session: SessionDep,
    upstream: UpstreamDep,
    unit: str = Query("", max_length=100),
    kind: str | None = Query(None, max_length=20),
) -> HTMLResponse:
    """The datalist's options for what has been typed so far (the input is named `unit`)."""
    typed = unit.strip()
    match = _OPTION.match(typed)
    q = match["name"] if match else typed
    units = await _units(upstream, session.token, q, kind if kind in KINDS else None) if q else []
    return page(request, "unit_options.html", options=[option(u) for u in units])


async def resolve_unit(upstream: Upstream, token: str, typed: str, *, kind: str | None) -> str:
    """The id of the unit `typed` names, or `Refused` saying why none is chosen."""
    typed = typed.strip()
    if not typed:
        raise Refused("请填写单位名称，并从提示中选择")
    match = _OPTION.match(typed)
    if match:
        return match["id"]
    if _ID.match(typed):
        try:
            unit = await upstream.call("hazard_api", "GET", f"/units/{typed}", token=token)
            if kind is None or unit.get("kind") == kind:
                return str(unit["id"])
        except UpstreamError:
            pass  # not an id (or not one in the caller's scope): a name, then
    units = await _units(upstream, token, typed, kind)
    exact = [u for u in units if u["name"] == typed]
    chosen = exact if exact else units
    if len(chosen) == 1:
        return str(chosen[0]["id"])
    if not chosen:
        raise Refused(f"未找到名称含「{typed}」的单位（仅限本单位管辖范围），请核对后从提示中选择")
    names = "、".join(option(u) for u in chosen[:5])
    more = "等" if len(chosen) > 5 else ""
    raise Refused(f"名称含「{typed}」的单位不止一个（{names}{more}），请从提示中选择")
