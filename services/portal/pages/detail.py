"""隐患详情 with its tabs, and the action forms: each posts to hazard_api as the user and comes
back to the page; only the actions hazard_api lists in `allowed_actions` are offered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.forms import DAYS_MAX, INT4_MAX, Refused, kept, whole
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
PLAN_FIELDS = {
    "goal_and_tasks": "治理的目标和任务",
    "methods_and_measures": "采取的方法和措施",
    "funds_and_materials": "经费和物资的落实",
    "organisation_and_persons": "负责治理的机构和人员",
    "time_limit": "治理的时限和要求",
    "safety_and_emergency": "安全措施和应急预案",
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
        error=error,
    )


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _days(form: FormData, key: str, label: str) -> int | None:
    return whole(form, key, label, low=1, high=DAYS_MAX, unit="日")


def _yuan(form: FormData, key: str, label: str) -> int:
    # Blank is 0, as the API's default; 12万 or 15000.50 is refused, not sent as 0.
    return whole(form, key, label, low=0, high=INT4_MAX, unit="元") or 0


def _grade(form: FormData) -> int | None:
    return whole(form, "grade", "重大事故隐患分级", low=1, high=3)


def _files(form: FormData, key: str) -> list[UploadFile]:
    return [f for f in form.getlist(key) if isinstance(f, UploadFile) and f.filename]


async def upload(
    upstream: Upstream, token: str, hazard_id: str, file: UploadFile, purpose: str
) -> dict[str, Any]:
    content = await file.read()
    result: dict[str, Any] = await upstream.call(
        "hazard_api",
        "POST",
        f"/hazards/{hazard_id}/attachments",
        token=token,
        files={"file": (file.filename, content, file.content_type or "application/octet-stream")},
        data={"purpose": purpose},
    )
    return result


Call = tuple[str, str, dict[str, Any] | None]


def _simple(form: FormData, hid: str, action: str, pending_id: str) -> Call | None:
    base = f"/hazards/{hid}"
    build: dict[str, Callable[[], Call]] = {
        "classify_general": lambda: (
            "POST",
            f"{base}/classify",
            {"level": "general"}
            | ({"deadline_days": d} if (d := _days(form, "deadline_days", "整改期限")) else {}),
        ),
        "classify_major": lambda: (
            "POST",
            f"{base}/classify",
            {
                "level": "major",
                "grade": _grade(form),
                "criterion_id": _text(form, "criterion_id") or None,
            },
        ),
        "propose_major": lambda: (
            "POST",
            f"{base}/propose-major",
            {
                "grade": _grade(form),
                "criterion_id": _text(form, "criterion_id"),
                "reason": _text(form, "reason"),
            },
        ),
        "submit_plan": lambda: (
            "PUT",
            f"{base}/plan",
            {k: _text(form, k) for k in PLAN_FIELDS}
            | {
                "funds_budget": _yuan(form, "funds_budget", "治理资金预算"),
                "responsible_person": _text(form, "responsible_person"),
            },
        ),
        "start_rectification": lambda: (
            "POST",
            f"{base}/start-rectification",
            {"note": _text(form, "note") or None},
        ),
        "list": lambda: (
            "POST",
            f"{base}/listing",
            {"notice_no": _text(form, "notice_no"), "published": form.get("published") == "on"},
        ),
        "request_extension": lambda: (
            "POST",
            f"{base}/extensions",
            {"reason": _text(form, "reason"), "days": _days(form, "days", "延期天数")},
        ),
        "decide_extension": lambda: (
            "POST",
            f"{base}/extensions/{pending_id}/decision",
            {"approve": form.get("approve") == "yes", "opinion": _text(form, "opinion")},
        ),
        "decide_acceptance": lambda: (
            "POST",
            f"{base}/acceptance",
            {"passed": form.get("passed") == "yes", "opinion": _text(form, "opinion")},
        ),
        "close": lambda: (
            "POST",
            f"{base}/close",
            {
                "delisting_notice_no": _text(form, "delisting_notice_no") or None,
                "published": form.get("published") == "on",
            },
        ),
        "void": lambda: ("POST", f"{base}/void", {"reason": _text(form, "reason")}),
    }
    return build[action]() if action in build else None


@router.post("/hazards/{hazard_id}/actions/{action}")
async def act(
    request: Request, hazard_id: str, action: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    form = await request.form()
    tab = _text(form, "tab") or "basic"
    typed = kept(form)  # a refusal shows the form as it was typed
    try:
        if action == "report_rectification":
            # Checked before any photo goes up: a refused amount leaves no stray attachment.
            spent = _yuan(form, "funds_spent", "整改资金")
            ids = [
                (await upload(upstream, session.token, hazard_id, f, "acceptance"))["id"]
                for f in _files(form, "photos")
            ]
            body = {"summary": _text(form, "summary"), "funds_spent": spent, "attachment_ids": ids}
            call: Call | None = ("POST", f"/hazards/{hazard_id}/rectification-report", body)
        elif action == "attach":
            for f in _files(form, "photos"):
                await upload(upstream, session.token, hazard_id, f, "hazard")
            return RedirectResponse(f"/hazards/{hazard_id}?tab=evidence", status_code=303)
        else:
            call = _simple(form, hazard_id, action, _text(form, "extension_id"))
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
    except Refused as exc:
        return await render(
            request,
            hazard_id,
            session.token,
            upstream,
            tab,
            error=exc.message,
            status_code=422,
            acted=action,
            typed=typed,
        )
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        return await render(
            request,
            hazard_id,
            session.token,
            upstream,
            tab,
            error=exc.message,
            status_code=exc.status,
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
