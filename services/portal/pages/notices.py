"""通知记录: the notices sent to me, each with its 签收 button (htmx swaps the row); the county
office and leaders also look them up per hazard and per person."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.pages.supervision import is_supervisor
from services.portal.render import TEMPLATES, page
from services.portal.upstream import Upstream
from shared.labels import role_label

router = APIRouter(include_in_schema=False)

KIND_LABELS = {"escalation": "督办通知", "report_reminder": "报表提醒", "accident": "事故快报"}
CHANNEL_LABELS = {"sms": "短信", "email": "邮件", "portal": "门户"}
STATUS_LABELS = {
    "pending": "发送中",
    "sent": "已发送",
    "delivered": "已送达",
    "failed": "发送失败",
    "dead": "未能送达",
}


def view(n: dict[str, Any], mine: bool) -> dict[str, Any]:
    """`mine`: the list of my own notices (the session knows no person id; the service
    answers only mine there), where the 签收 buttons are."""
    return n | {
        "role": role_label(n["chain_role"]) if n["chain_role"] else "",
        "kind_label": KIND_LABELS.get(n["kind"], "通知"),
        "channels_label": "、".join(
            f"{CHANNEL_LABELS.get(c, c)}{STATUS_LABELS.get(s, s)}" for c, s in n["channels"].items()
        ),
        "via": CHANNEL_LABELS.get(n["acknowledged_via"] or "", ""),
        "mine": mine,
    }


async def resolve_hazard(upstream: Upstream, token: str, text: str) -> tuple[str | None, str]:
    """A hazard code (or id) typed by the user → its id, or why not."""
    text = text.strip()
    if not text:
        return None, ""
    found = await upstream.call(
        "hazard_api", "GET", "/hazards", token=token, params={"q": text, "page_size": "2"}
    )
    exact = [h for h in found["items"] if text in (h["id"], h["code"])]
    if len(exact) == 1 or len(found["items"]) == 1:
        return (exact or found["items"])[0]["id"], ""
    return None, f"未找到编号为「{text}」的隐患（或不在您的管辖范围内）。"


@router.get("/notices")
async def notices(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    supervisor = is_supervisor(session)
    query = request.query_params
    params: list[tuple[str, str]] = [("limit", "200")]
    hazard_text, person_id, note = query.get("hazard", ""), query.get("person_id", ""), ""
    if supervisor:
        hazard_id, note = await resolve_hazard(upstream, session.token, hazard_text)
        if hazard_id:
            params.append(("hazard_id", hazard_id))
        if person_id:
            params.append(("person_id", person_id[:100]))
        if note:
            params = []
    if query.get("unacknowledged") == "true":
        params.append(("unacknowledged", "true"))
    filtered = any(k in ("hazard_id", "person_id") for k, _ in params)
    rows = (
        await upstream.call("notification", "GET", "/notices", token=session.token, params=params)
        if params
        else []
    )
    return page(
        request,
        "notices.html",
        notices=[view(n, not filtered) for n in rows],
        supervisor=supervisor,
        hazard=hazard_text,
        person_id=person_id,
        note=note,
        unacknowledged=query.get("unacknowledged") == "true",
        person_url=lambda pid: "/notices?" + urlencode({"person_id": pid}),
    )


@router.post("/notices/{dispatch_id}/ack")
async def acknowledge(
    request: Request,
    session: PostSession,
    upstream: UpstreamDep,
    dispatch_id: str = Path(max_length=36),
) -> Response:
    notice = await upstream.call(
        "notification", "POST", f"/notices/{dispatch_id}/ack", token=session.token
    )
    if request.headers.get("HX-Request"):
        return TEMPLATES.TemplateResponse(
            request,
            "notice_row.html",
            {"n": view(notice, True), "session": session, "supervisor": is_supervisor(session)},
        )
    return RedirectResponse("/notices", status_code=303)
