"""An accident's reports after the first, from its detail page: 续报 and 补报 filed, and each
report's sign-off (拟稿 → 核稿 → 签发) before it counts as sent upward — the first 签发 stops
the 2-hour clock to the city. hazard_api decides who may (核稿: township, department or county
office; 签发: department or county office, never the account that reviewed it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.portal.deps import PostSession, UpstreamDep
from services.portal.forms import COUNT_MAX, LOSS_MAX, Refused, text, whole
from services.portal.pages.accidents import CASUALTIES, carried_out, render

router = APIRouter(include_in_schema=False)


def follow_up(form: FormData, role: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": text(form, "kind"),
        "channel": "enterprise" if role == "enterprise" else text(form, "channel") or "phone",
        "account": text(form, "account"),
        "measures_taken": text(form, "measures_taken") or None,
        "reporter_name": text(form, "reporter_name"),
        "reporter_phone": text(form, "reporter_phone"),
        "direct_loss_yuan": whole(
            form, "direct_loss_yuan", "直接经济损失", low=0, high=LOSS_MAX, unit="元"
        ),
    }
    # Blank: unchanged or not yet known; a typo is refused, not blanked.
    return body | {
        k: whole(form, k, f"{t}人数", low=0, high=COUNT_MAX, unit="人")
        for k, t in CASUALTIES.items()
    }


@router.post("/accidents/{accident_id}/reports")
async def add_report(
    request: Request, accident_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    try:
        body = follow_up(await request.form(), session.role)
    except Refused as exc:
        return await render(
            request, accident_id, session.token, upstream, error=exc.message, status_code=422
        )
    path = f"/accidents/{accident_id}/reports"
    return await carried_out(
        request, accident_id, session, upstream, ("POST", path, body), done="follow_up"
    )


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
    return await carried_out(
        request, accident_id, session, upstream, ("POST", path, None), done=step
    )
