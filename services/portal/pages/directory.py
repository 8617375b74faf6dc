"""组织目录 (county office only): units, people, posts with their holders, acting holders and
一岗双责 portfolios, searched by name; the import and the holiday calendar have their own pages
(`directory_import`, `calendar`) under the same tabs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.session import PageSession
from services.portal.upstream import Upstream
from shared.codes.industries import industry_name
from shared.labels import POST_ROLE_LABELS, UNIT_KIND_LABELS

router = APIRouter(include_in_schema=False)

TABS = {
    "units": ("单位", "/directory"),
    "people": ("人员", "/directory?tab=people"),
    "posts": ("岗位与分管", "/directory?tab=posts"),
    "import": ("导入导出", "/directory/import"),
    "calendar": ("节假日安排", "/directory/calendar"),
}
LIST_LIMIT = 200
NAME_PAGE = 500  # the API's largest page: names are looked up a page at a time
Search = Annotated[str, Query(max_length=50)]
UnitFilter = Annotated[str, Query(max_length=36, pattern=r"^[A-Za-z0-9_.:-]*$")]


def office_only(session: PageSession) -> None:
    """The directory, its import and the calendar are the county office's (others: 403)."""
    if session.role != "county_office":
        raise StarletteHTTPException(403, "组织目录、目录导入和节假日安排仅限县安委办使用。")


async def names(upstream: Upstream, token: str, path: str) -> dict[str, str]:
    """id → name of every unit or person in the caller's scope."""
    out: dict[str, str] = {}
    offset = 0
    while True:
        params = {"limit": NAME_PAGE, "offset": offset}
        rows = await upstream.call("hazard_api", "GET", path, token=token, params=params)
        out.update({r["id"]: r["name"] for r in rows})
        if len(rows) < NAME_PAGE:
            return out
        offset += NAME_PAGE


def _industry(code: str | None) -> str:
    if not code:
        return "—"
    return f"{code} {industry_name(code) or ''}".strip()


def _unit_rows(units: list[dict[str, Any]], unit_names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": u["id"],
            "name": u["name"],
            "kind": UNIT_KIND_LABELS.get(u["kind"], u["kind"]),
            "area_code": u["area_code"],
            "credit_code": u.get("credit_code") or "—",
            "industry": _industry(u.get("industry_code")),
            "township": unit_names.get(u.get("township_id") or "", "—"),
            "departments": "、".join(
                unit_names.get(d, d) for d in u.get("supervising_department_ids") or []
            )
            or "—",
            "regulates": "、".join(u.get("regulated_industry_codes") or []) or "—",
        }
        for u in units
    ]


def _acting(p: dict[str, Any], people: dict[str, str]) -> str:
    if not p.get("acting_person_id"):
        return "—"
    name = people.get(p["acting_person_id"], p["acting_person_id"])
    since = p.get("acting_from") or ""
    until = p.get("acting_until") or "至今"
    return f"{name}（{since}～{until}）" if since else name


def _post_rows(
    posts: list[dict[str, Any]], unit_names: dict[str, str], people: dict[str, str]
) -> list[dict[str, Any]]:
    rows = []
    for p in posts:
        holder = people.get(p.get("holder_person_id") or "", "（空缺）")
        if p.get("acting") and p.get("holder_person_id"):
            holder += "（代理）"
        portfolio = [unit_names.get(u, u) for u in p.get("portfolio_unit_ids") or []]
        portfolio += [_industry(c) for c in p.get("portfolio_industry_codes") or []]
        rows.append(
            {
                "id": p["id"],
                "unit": unit_names.get(p["unit_id"], p["unit_id"]),
                "title": p["title"],
                "role": POST_ROLE_LABELS.get(p["role"], p["role"]),
                "holder": holder,
                "holder_from": p.get("holder_from") or "—",
                "acting": _acting(p, people),
                "portfolio": "、".join(portfolio) or "—",
            }
        )
    return rows


@router.get("/directory")
async def directory(
    request: Request,
    session: SessionDep,
    upstream: UpstreamDep,
    tab: str = "units",
    q: Search = "",
    unit_id: UnitFilter = "",
) -> HTMLResponse:
    office_only(session)
    tab = tab if tab in ("units", "people", "posts") else "units"
    params: dict[str, Any] = {"limit": LIST_LIMIT}
    if q.strip():
        params["q"] = q.strip()
    if unit_id and tab != "units":
        params["unit_id"] = unit_id
    unit_names = await names(upstream, session.token, "/units")
    path = {"units": "/units", "people": "/people", "posts": "/posts"}[tab]
    found = await upstream.call("hazard_api", "GET", path, token=session.token, params=params)
    if tab == "units":
        rows = _unit_rows(found, unit_names)
    elif tab == "people":
        rows = [
            {
                "id": p["id"],
                "name": p["name"],
                "unit": unit_names.get(p["unit_id"], p["unit_id"]),
                "mobile": p.get("mobile") or "—",
                "email": p.get("email") or "—",
                "active": "在职" if p.get("active") else "已停用",
            }
            for p in found
        ]
    else:
        people = await names(upstream, session.token, "/people")
        rows = _post_rows(found, unit_names, people)
    return page(
        request,
        "directory.html",
        tabs=TABS,
        tab=tab,
        q=q,
        unit_id=unit_id,
        unit_name=unit_names.get(unit_id, ""),
        rows=rows,
        capped=len(found) >= LIST_LIMIT,
        limit=LIST_LIMIT,
    )
