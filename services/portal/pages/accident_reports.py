"""An accident's reports after the first, from its detail page: 续报 and 补报 filed, and each
report's sign-off (拟稿 → 核稿 → 签发) before it counts as sent upward — the first 签发 stops
the 2-hour clock to the city. hazard_api decides who may (核稿: township, department or county
office; 签发: department or county office, never the account that reviewed it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from services.portal.deps import PostSession, UpstreamDep
from services.portal.pages.accidents import CASUALTIES, render
from services.portal.pages.detail import _int, _text
from services.portal.upstream import UpstreamError

router = APIRouter(include_in_schema=False)


def follow_up(form: FormData, role: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": _text(form, "kind"),
        "channel": "enterprise" if role == "enterprise" else _text(form, "channel") or "phone",
        "account": _text(form, "account"),
        "measures_taken": _text(form, "measures_taken") or None,
        "reporter_name": _text(form, "reporter_name"),
        "reporter_phone": _text(form, "reporter_phone"),
        "direct_loss_yuan": _int(form, "direct_loss_yuan"),
    }
    return body | {k: _int(form, k) for k in CASUALTIES}


async def _call(
    request: Request, aid: str, session: Any, upstream: Any, path: str, body: Any, done: str
) -> Response:
    try:
        await upstream.call("hazard_api", "POST", path, token=session.token, json=body)
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        return await render(
            request, aid, session.token, upstream, error=exc.message, status_code=exc.status
        )
    return RedirectResponse(f"/accidents/{aid}?done={done}", status_code=303)


@router.post("/accidents/{accident_id}/reports")
async def add_report(
    request: Request, accident_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    body = follow_up(await request.form(), session.role)
    path = f"/accidents/{accident_id}/reports"
    return await _call(request, accident_id, session, upstream, path, body, "follow_up")


@router.post("/accidents/{accident_id}/reports/{report_id}/{step}")
async def sign_off(
    request: Request,
    accident_id: str,
    report_id: str,
    step: str,
    session: PostSession,
    upstream: UpstreamDep,
) -> Response:
    if step not in ("review", "issue"):
        return await render(
            request, accident_id, session.token, upstream, error="不支持的操作。", status_code=404
        )
    path = f"/accidents/{accident_id}/reports/{report_id}/{step}"
    return await _call(request, accident_id, session, upstream, path, None, step)
