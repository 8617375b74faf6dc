"""上报记录 (county office): the reporting service's submissions ledger with its filters, every
attempt of each submission, and 重新推送 (replay under the same webhook-id)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.session import PageSession
from services.portal.upstream import UpstreamError

router = APIRouter(include_in_schema=False)

STATES = {"pending": "待推送", "delivered": "已送达", "dead": "已停止重试"}
OUTCOMES = {
    "retry": "失败待重试",
    "delivered": "已送达",
    "dead": "已停止",
    "gone": "地址已停用（410）",
}
KINDS = {
    "hazard-major": "重大隐患",
    "hazard-listing": "挂牌督办",
    "accident-report": "事故快报/续报",
    "quarterly-statistics": "季度统计",
}
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
    f = {"state": state, "document": document, "item_key": item_key}
    params = {k: v for k, v in f.items() if v}
    rows = await upstream.call(
        "reporting", "GET", "/submissions", token=session.token, params=params
    )
    return page(
        request, "deliveries.html", rows=rows, f=f, states=STATES, outcomes=OUTCOMES, kinds=KINDS
    )


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
