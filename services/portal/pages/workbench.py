"""工作台: the role's work queues, each count a link to the 台账 filtered exactly like it, and
the county office's 待办, each a link to the page of what it is about."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.render import page
from services.portal.upstream import Unavailable, UpstreamError

router = APIRouter(include_in_schema=False)


# A task's `hazard_id` is the id of what it is about; its kind says which page shows that,
# except for a failed notice and a reporting alert, which may be about any of them
# (`/tasks/subject/…` asks hazard_api which).
SUBJECT_PAGES = {
    "campaign_pending": "/campaigns/",
    "resumption_review": "/suspensions/",
    "resumption_acceptance": "/suspensions/",
    "concealment_review": "/accidents/",
    "missing_items": "/accidents/",
}
AMBIGUOUS = frozenset({"notice_undelivered", "reporting_alert"})
NO_SUBJECT = "待办所涉事项不存在，或不在您的查看范围内"


def ledger_url(query: dict[str, Any]) -> str:
    return "/hazards?" + urlencode(query)


def task_url(task: dict[str, Any]) -> str:
    item = quote(task["hazard_id"], safe="")
    if prefix := SUBJECT_PAGES.get(task["kind"]):
        return prefix + item
    if task["kind"] in AMBIGUOUS:
        return f"/tasks/subject/{item}?kind={quote(task['kind'], safe='')}"
    return "/hazards/" + item  # sanction proposals: a hazard's case


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
        else:
            tasks["items"] = [t | {"url": task_url(t)} for t in tasks["items"]]
    return page(request, "workbench.html", queues=queues, tasks=tasks, tasks_note=tasks_note)


@router.get("/tasks/subject/{item_id}", response_model=None)
async def task_subject(
    request: Request,
    session: SessionDep,
    upstream: UpstreamDep,
    item_id: str = Path(min_length=1, max_length=100),
    kind: str = Query("", max_length=40),
) -> RedirectResponse | HTMLResponse:
    """The hazard, accident, 停产整顿 order or campaign a task names (ids are UUIDs: one of them
    has it); a reporting alert about none (a quarterly statistics submission) goes to 上报记录."""
    item = quote(item_id, safe="")
    for path in ("/hazards/", "/accidents/", "/suspensions/", "/campaigns/"):
        try:
            await upstream.call("hazard_api", "GET", path + item, token=session.token)
        except UpstreamError as exc:
            if exc.status in (403, 404, 422):
                continue
            raise
        return RedirectResponse(path + item, status_code=303)
    if kind == "reporting_alert":
        return RedirectResponse("/reporting", status_code=303)
    return page(request, "error.html", 404, title="待办所涉事项", message=NO_SUBJECT)
