"""停产停业整顿: the list, the order form (责令停产停业整顿), and an order's page with its
application (申请复工复产), the township's review and the acceptance rounds; each form offered
only as hazard_api's `allowed_actions` says, and a refused one shown again as typed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.fields import FIELD_LABELS
from services.portal.forms import Refused, kept
from services.portal.forms import text as _text
from services.portal.pages.units import option, resolve_unit
from services.portal.render import page
from services.portal.session import PageSession
from services.portal.upstream import Upstream, UpstreamError

router = APIRouter(include_in_schema=False)
# hazard_api answers who may act on an order (`allowed_actions`), but an order not yet made has
# no such answer: the roles of its rule `order` (suspensions/states.py), kept equal to it by
# tests/portal/test_suspension_pages.py. hazard_api still refuses anyone else.
ORDER_ROLES = frozenset({"department", "county_office"})
# The enterprise's four records (DOMAIN §5: a plan, training, a full hazard check, a drill).
APPLICATION = {
    key: FIELD_LABELS[key]
    for key in ("self_check", "rectification_report", "training_records", "drill_records")
}
DECISIONS = {"yes": True, "no": False}


@router.get("/suspensions")
async def suspensions(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    rows = await upstream.call("hazard_api", "GET", "/suspensions", token=session.token)
    return page(request, "suspensions.html", rows=rows, may_order=session.role in ORDER_ROLES)


async def _order_form(
    request: Request,
    session: PageSession,
    upstream: Upstream,
    values: dict[str, str],
    *,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    accident = None
    if values.get("accident_id"):
        try:
            path = f"/accidents/{values['accident_id']}"
            found = await upstream.call("hazard_api", "GET", path, token=session.token)
            accident = found["accident"]
        except UpstreamError:
            pass  # hazard_api names what is wrong with it when the order is sent
        else:
            # From the accident's page: its enterprise, unless the form already says one.
            unit = {"name": accident["unit_name"], "id": accident["unit_id"]}
            values.setdefault("unit", option(unit))
    if session.role not in ORDER_ROLES:
        status = 403
    return page(
        request,
        "suspension_new.html",
        status,
        may_order=session.role in ORDER_ROLES,
        accident=accident,
        error=error,
        values=values,
    )


@router.get("/suspensions/new")
async def order_form(
    request: Request,
    session: SessionDep,
    upstream: UpstreamDep,
    accident_id: str = Query("", max_length=36),
) -> HTMLResponse:
    """The form; from an accident's page it comes with the accident and its enterprise."""
    values = {"accident_id": accident_id} if accident_id else {}
    return await _order_form(request, session, upstream, values)


@router.post("/suspensions/new")
async def order(request: Request, session: PostSession, upstream: UpstreamDep) -> Response:
    form = await request.form()
    values = kept(form)
    try:
        typed = _text(form, "unit")
        unit_id = await resolve_unit(upstream, session.token, typed, kind="enterprise")
        body = {
            "unit_id": unit_id,
            "order_no": _text(form, "order_no"),
            "reason": _text(form, "reason"),
            "accident_id": _text(form, "accident_id") or None,
        }
        created = await upstream.call(
            "hazard_api", "POST", "/suspensions", token=session.token, json=body
        )
    except Refused as exc:
        return await _order_form(request, session, upstream, values, error=exc.message, status=422)
    except UpstreamError as exc:
        return await _order_form(
            request, session, upstream, values, error=exc.message, status=exc.status
        )
    return RedirectResponse(f"/suspensions/{created['id']}?done=order", status_code=303)


async def render(
    request: Request,
    sid: str,
    session: PageSession,
    upstream: Upstream,
    *,
    error: str = "",
    status: int = 200,
    values: dict[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    """The order's page; `values` is a refused form as typed, by its action (apply, review)."""
    s = await upstream.call("hazard_api", "GET", f"/suspensions/{sid}", token=session.token)
    typed = values or {}
    # A second application (after 不同意) starts from the first: most of it still holds.
    apply_values = typed.get("apply", s["application"] or {})
    return page(
        request,
        "suspension.html",
        status,
        s=s,
        allowed=s["allowed_actions"],
        records=APPLICATION,
        error=error,
        apply_values=apply_values,
        review_values=typed.get("review", {}),
    )


@router.get("/suspensions/{suspension_id}")
async def detail(
    request: Request, suspension_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    return await render(request, suspension_id, session, upstream)


def application_body(form: FormData) -> dict[str, Any]:
    return {key: _text(form, key) for key in APPLICATION}


def review_body(form: FormData) -> dict[str, Any]:
    decision = _text(form, "passed")
    if decision not in DECISIONS:
        raise Refused("审核结论：请选择同意或不同意")
    note = _text(form, "note")
    if not note:
        raise Refused("审核意见：不能为空")
    return {"passed": DECISIONS[decision], "note": note}


async def _act(
    request: Request, sid: str, session: PageSession, upstream: Upstream, action: str
) -> Response:
    """`action` (apply, review) made as the user: back to the order, or its page again with
    the form as typed and the refusal in words (a 404 stays the not-found page)."""
    form = await request.form()
    typed = {action: kept(form)}
    try:
        if action == "apply":
            path, body = f"/suspensions/{sid}/application", application_body(form)
        else:
            path, body = f"/suspensions/{sid}/review", review_body(form)
        await upstream.call("hazard_api", "POST", path, token=session.token, json=body)
    except Refused as exc:
        return await render(
            request, sid, session, upstream, error=exc.message, status=422, values=typed
        )
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        return await render(
            request, sid, session, upstream, error=exc.message, status=exc.status, values=typed
        )
    return RedirectResponse(f"/suspensions/{sid}?done={action}", status_code=303)


@router.post("/suspensions/{suspension_id}/application")
async def apply(
    request: Request, suspension_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    return await _act(request, suspension_id, session, upstream, "apply")


@router.post("/suspensions/{suspension_id}/review")
async def review(
    request: Request, suspension_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    return await _act(request, suspension_id, session, upstream, "review")
