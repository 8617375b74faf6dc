"""督办看板 (county office, county leaders): overdue hazards by township and by department,
each hazard's stage on its ladder (escalation) and who was told and has signed (notification);
a leader who has not signed stands out."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.pages.supervision import hazard_ids_params, require_supervisor
from services.portal.render import page
from services.portal.upstream import Unavailable, Upstream, UpstreamError
from shared.labels import role_label

router = APIRouter(include_in_schema=False)

# What one board page shows; a county with more overdue hazards than this has other problems,
# and the 台账 behind each count lists them all.
BOARD_LIMIT = 500
ID_CHUNK = 100
OVERDUE = [("overdue", "true"), ("open", "true"), ("sort", "deadline_at")]
# Leaders in a hazard's chain: county leaders, township and department heads.
LEADER_ROLES = frozenset(
    {
        "county.portfolio_leader",
        "county.safety_leader",
        "county.principal",
        "county.party_secretary",
        "township.principal",
        "township.party_secretary",
        "department.head",
    }
)


async def overdue_hazards(upstream: Upstream, token: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async for h in upstream.pages("/hazards", OVERDUE, token=token):
        rows.append(h)
        if len(rows) >= BOARD_LIMIT:
            break
    return rows


async def unit_names(upstream: Upstream, token: str, kind: str) -> dict[str, str]:
    units = await upstream.call(
        "hazard_api", "GET", "/units", token=token, params={"kind": kind, "limit": 500}
    )
    return {u["id"]: u["name"] for u in units}


async def optional(
    upstream: Upstream,
    service: str,
    path: str,
    token: str,
    ids: list[str],
    extra: tuple[tuple[str, str], ...] = (),
) -> tuple[list[dict[str, Any]], str]:
    """A service the board can do without: its rows for these hazards (asked in chunks that
    keep the URL short), or a note saying they are missing."""
    rows: list[dict[str, Any]] = []
    try:
        for start in range(0, len(ids), ID_CHUNK):
            params = [*hazard_ids_params(ids[start : start + ID_CHUNK]), *extra]
            rows += await upstream.call(service, "GET", path, token=token, params=params)
    except (Unavailable, UpstreamError):
        names = {"escalation": "督办升级", "notification": "通知"}
        return [], f"{names[service]}服务暂不可用，相关信息稍后显示。"
    return rows, ""


def told(notices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who was told, latest notice per person: signed or not, leaders marked."""
    latest: dict[str, dict[str, Any]] = {}
    for n in notices:  # newest first (the API's order)
        latest.setdefault(n["person_id"], n)
    return [
        {
            "name": n["person_name"],
            "role": role_label(n["chain_role"]) if n["chain_role"] else "",
            "acked": n["acknowledged_at"],
            "leader": n["chain_role"] in LEADER_ROLES,
        }
        for n in latest.values()
    ]


def grouped(
    hazards: list[dict[str, Any]], key: str, names: dict[str, str], param: str
) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    for h in hazards:
        value = h.get(key)
        for unit in value if isinstance(value, list) else [value]:
            if unit:
                counts[unit] += 1
    return [
        {
            "name": names.get(unit, unit),
            "n": n,
            "url": "/hazards?" + urlencode([("overdue", "true"), ("open", "true"), (param, unit)]),
        }
        for unit, n in counts.most_common()
    ]


@router.get("/board")
async def board(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    require_supervisor(session)
    token = session.token
    hazards = await overdue_hazards(upstream, token)
    towns = await unit_names(upstream, token, "township")
    departments = await unit_names(upstream, token, "department")
    ids = [h["id"] for h in hazards]
    stages, stage_note = await optional(upstream, "escalation", "/cases", token, ids)
    notices, notice_note = await optional(
        upstream, "notification", "/notices", token, ids, (("limit", "1000"),)
    )
    stage_of = {s["hazard_id"]: s for s in stages}
    rows: list[dict[str, Any]] = []
    unacked = 0
    for h in hazards:
        people = told([n for n in notices if h["id"] in n["hazard_ids"]])
        leaders = [p["name"] for p in people if p["leader"] and not p["acked"]]
        unacked += len(leaders)
        rows.append(
            {
                "h": h,
                "township": towns.get(h.get("township_id") or "", "—"),
                "stage": stage_of.get(h["id"]),
                "people": people,
                "unacked_leaders": leaders,
            }
        )
    return page(
        request,
        "board.html",
        rows=rows,
        by_township=grouped(hazards, "township_id", towns, "township_id"),
        by_department=grouped(hazards, "department_ids", departments, "department_id"),
        unacked_leaders=unacked,
        notes=[n for n in (stage_note, notice_note) if n],
        capped=len(hazards) >= BOARD_LIMIT,
    )
