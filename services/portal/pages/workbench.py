"""工作台: the role's work queues, each count a link to the 台账 filtered exactly like it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.upstream import Unavailable, UpstreamError

router = APIRouter(include_in_schema=False)


def ledger_url(query: dict[str, Any]) -> str:
    return "/hazards?" + urlencode(query)


@router.get("/")
async def workbench(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    counts = await upstream.call("hazard_api", "GET", "/hazards/counts", token=session.token)
    queues = [q | {"url": ledger_url(q["query"])} for q in counts["queues"]]
    tasks: dict[str, Any] | None = None
    tasks_note = ""
    if session.role == "county_office":
        # 我的待办 are escalation's tasks (only the county office decides them today).
        try:
            tasks = await upstream.call(
                "escalation", "GET", "/tasks", token=session.token, params={"limit": 20}
            )
        except (Unavailable, UpstreamError):
            tasks_note = "督办升级服务暂不可用，待办稍后显示。"
    return page(request, "workbench.html", queues=queues, tasks=tasks, tasks_note=tasks_note)
