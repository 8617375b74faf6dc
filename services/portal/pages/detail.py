"""隐患详情 with its tabs, and the action forms: each posts to hazard_api as the user and comes
back to the page; only the actions hazard_api lists in `allowed_actions` are offered."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.forms import Refused, kept, text
from services.portal.pages.hazard_actions import (
    PLAN_FIELDS,
    Call,
    files_of,
    simple_call,
    upload,
    yuan,
)
from services.portal.pages.service import SERVICE_ROLES
from services.portal.render import page
from services.portal.upstream import Upstream, UpstreamError

router = APIRouter(include_in_schema=False)

TABS = {
    "basic": "基本信息",
    "plan": "治理方案",
    "listing": "挂牌督办",
    "extension": "延期",
    "acceptance": "验收",
    "evidence": "佐证材料",
    "timeline": "时间线",
    "audit": "审计",
}
# Actions with a form on the page (the rest stay in the API).
FORMS = (
    "classify_general",
    "classify_major",
    "propose_major",
    "submit_plan",
    "start_rectification",
    "list",
    "request_extension",
    "decide_extension",
    "report_rectification",
    "decide_acceptance",
    "close",
    "void",
)


@router.get("/hazards/{hazard_id}")
async def detail(
    request: Request, hazard_id: str, session: SessionDep, upstream: UpstreamDep, tab: str = "basic"
) -> HTMLResponse:
    return await render(request, hazard_id, session.token, upstream, tab)


async def render(
    request: Request,
    hazard_id: str,
    token: str,
    upstream: Upstream,
    tab: str,
    *,
    error: str = "",
    status_code: int = 200,
    acted: str = "",
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """`acted`/`typed`: the action refused and what was typed in its form, shown again."""
    tab = tab if tab in TABS else "basic"
    d = await upstream.call("hazard_api", "GET", f"/hazards/{hazard_id}", token=token)
    extra: Any = None
    if tab in ("timeline", "audit"):
        try:
            extra = await upstream.call(
                "hazard_api", "GET", f"/hazards/{hazard_id}/{tab}", token=token
            )
        except UpstreamError as exc:
            extra = exc.message
    criteria: list[dict[str, Any]] = []
    allowed = d["allowed_actions"]
    if {"classify_major", "propose_major"} & allowed.keys() and d["hazard"]["industry_code"]:
        criteria = await upstream.call(
            "hazard_api",
            "GET",
            "/criteria",
            token=token,
            params={"industry_code": d["hazard"]["industry_code"]},
        )
    pending = [e for e in d["extensions"] if e["status"] == "pending"]
    # The 挂牌/摘牌 forms cite the notice's 文号: the one issued here, if it was (the county's
    # own number otherwise, typed as it stands on the paper).
    issued: dict[str, str] = {}
    if {"list", "close"} & allowed.keys():
        docs = await upstream.call(
            "hazard_api",
            "GET",
            "/documents",
            token=token,
            params={"hazard_id": hazard_id, "status": "issued"},
        )
        for doc in sorted(docs, key=lambda doc: doc.get("issued_at") or ""):
            issued[doc["doc_type"]] = doc["doc_no"]
    return page(
        request,
        "detail.html",
        status_code,
        d=d,
        h=d["hazard"],
        tab=tab,
        tabs=TABS,
        extra=extra,
        forms=[a for a in FORMS if a in allowed],
        allowed=allowed,
        criteria=criteria,
        pending=pending[0] if pending else None,
        plan_fields=PLAN_FIELDS,
        service_roles=SERVICE_ROLES,
        acted=acted,
        typed=typed or {},
        issued=issued,
        error=error,
    )


@router.post("/hazards/{hazard_id}/actions/{action}")
async def act(
    request: Request, hazard_id: str, action: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    form = await request.form()
    tab = text(form, "tab") or "basic"
    typed = kept(form)  # a refusal shows the form as it was typed
    try:
        if action == "report_rectification":
            # Checked before any photo goes up: a refused amount leaves no stray attachment.
            spent = yuan(form, "funds_spent", "整改资金")
            ids = [
                (await upload(upstream, session.token, hazard_id, f, "acceptance"))["id"]
                for f in files_of(form, "photos")
            ]
            body = {"summary": text(form, "summary"), "funds_spent": spent, "attachment_ids": ids}
            call: Call | None = ("POST", f"/hazards/{hazard_id}/rectification-report", body)
        elif action == "attach":
            for f in files_of(form, "photos"):
                await upload(upstream, session.token, hazard_id, f, "hazard")
            return RedirectResponse(f"/hazards/{hazard_id}?tab=evidence", status_code=303)
        else:
            call = simple_call(form, hazard_id, action, text(form, "extension_id"))
        if call is None:
            return await render(
                request,
                hazard_id,
                session.token,
                upstream,
                tab,
                error="不支持的操作。",
                status_code=404,
            )
        method, path, json = call
        await upstream.call("hazard_api", method, path, token=session.token, json=json)
    except (Refused, UpstreamError) as exc:
        status = exc.status if isinstance(exc, UpstreamError) else 422  # 422: refused here
        if status == 404:
            raise
        return await render(
            request,
            hazard_id,
            session.token,
            upstream,
            tab,
            error=exc.message,
            status_code=status,
            acted=action,
            typed=typed,
        )
    return RedirectResponse(f"/hazards/{hazard_id}?tab={tab}&done={action}", status_code=303)


@router.get("/attachments/{attachment_id}")
async def attachment(attachment_id: str, session: SessionDep, upstream: UpstreamDep) -> Response:
    answer = await upstream.send(
        "hazard_api", "GET", f"/attachments/{attachment_id}/content", token=session.token
    )
    if answer.status_code != 200:
        raise UpstreamError(answer.status_code, "佐证材料不存在或不在您的管辖范围内")
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=3600"},
    )
