"""上报记录 (county office): the reporting service's submissions ledger with its filters, every
attempt of each submission, and 重新推送 (replay under the same webhook-id)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.session import PageSession
from services.portal.upstream import Upstream, UpstreamError
from shared.labels import (
    SUBMISSION_DOCUMENT_LABELS,
    SUBMISSION_ITEM_LABELS,
    label,
    report_period_label,
)

router = APIRouter(include_in_schema=False)

STATES = {"pending": "待推送", "delivered": "已送达", "dead": "已停止重试"}
OUTCOMES = {
    "retry": "失败待重试",
    "delivered": "已送达",
    "dead": "已停止",
    "gone": "地址已停用（410）",
}
NO_SUCH_ITEM = "none:"  # a code no hazard has: nothing to ask the ledger for
FORBIDDEN = "只有县安委办可以查看和处理上报记录"


def _county_office(session: PageSession) -> None:
    # Reporting refuses other roles too (403); the page says so before asking it.
    if session.role != "county_office":
        raise UpstreamError(403, FORBIDDEN)


@router.get("/reporting")
async def deliveries(
    request: Request,
    session: SessionDep,
    upstream: UpstreamDep,
    state: Annotated[str, Query(max_length=20)] = "",
    document: Annotated[str, Query(max_length=60)] = "",
    item_key: Annotated[str, Query(max_length=120)] = "",
) -> HTMLResponse:
    _county_office(session)
    item_key = item_key.strip()
    f = {"state": state, "document": document, "item_key": item_key}
    params = {k: v for k, v in f.items() if v}
    if item_key and ":" not in item_key:
        # The ledger keys items by id; a clerk types what the item is known by instead.
        params["item_key"] = await _item_key(upstream, session.token, item_key)
    rows: list[dict[str, Any]] = []
    if params.get("item_key") != NO_SUCH_ITEM:
        rows = await upstream.call(
            "reporting", "GET", "/submissions", token=session.token, params=params
        )
    for row in rows:
        row["item_title"] = item_title(row["item_key"], row.get("item_ref"))
    return page(
        request,
        "deliveries.html",
        rows=rows,
        f=f,
        states=STATES,
        outcomes=OUTCOMES,
        kinds=SUBMISSION_DOCUMENT_LABELS,
    )


QUARTER = re.compile(r"(\d{4})Q([1-4])")


def item_title(item_key: str, ref: str | None) -> str:
    """`hazard:<id>` as 「隐患 YH20260305-1A2B3C4D」: the code or 文号 the reporting service
    found in what it sent, else the item's kind and a short id."""
    kind, _, rest = item_key.partition(":")
    quarter = QUARTER.fullmatch(rest) if kind == "quarterly" else None
    if quarter:
        return report_period_label("quarterly", int(quarter[1]), int(quarter[2])) + "统计"
    return f"{label(SUBMISSION_ITEM_LABELS, kind)} {ref or rest[:8]}"


async def _item_key(upstream: Upstream, token: str, typed: str) -> str:
    """The ledger key of what a clerk typed: a hazard's code (YH…), an accident's (SG-…) or
    an issued document's 文号 (〔2026〕…号)."""
    code = typed.upper()
    if code.startswith("SG-"):
        found = await upstream.call(
            "hazard_api", "GET", "/accidents", token=token, params={"code": code}
        )
        return f"accident:{found[0]['id']}" if found else NO_SUCH_ITEM
    if "〔" in typed or "号" in typed:
        issued = await upstream.call(
            "hazard_api", "GET", "/documents", token=token, params={"doc_no": typed}
        )
        ids = [d["id"] for d in issued]
        return f"document:{ids[0]}" if ids else NO_SUCH_ITEM
    found = await upstream.call(
        "hazard_api", "GET", "/hazards", token=token, params={"q": code, "page_size": 100}
    )
    ids = [h["id"] for h in found["items"] if h["code"].upper() == code]
    return f"hazard:{ids[0]}" if ids else NO_SUCH_ITEM


@router.post("/reporting/{webhook_id}/replay")
async def replay(
    webhook_id: str,
    session: PostSession,
    upstream: UpstreamDep,
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _county_office(session)
    await upstream.call(
        "reporting", "POST", f"/submissions/{webhook_id}/replay", token=session.token
    )
    # Back to the same filters (only a query string: never an address from the form).
    query = {"item_key": back} if back else {}
    return RedirectResponse(
        "/reporting?" + urlencode(query | {"replayed": webhook_id}), status_code=303
    )
