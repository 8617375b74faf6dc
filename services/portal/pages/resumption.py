"""复工复产: the county campaigns (scope, the enterprises not yet accepted by township and by
department) and the acceptance checklist page shared by a 停产整顿 order and a campaign's
enterprise (team, item/standard/result/evidence, decision)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from services.portal.deps import PostSession, SessionDep, UpstreamDep
from services.portal.forms import Refused, kept
from services.portal.forms import text as _text
from services.portal.render import page
from services.portal.upstream import Upstream, UpstreamError

router = APIRouter(include_in_schema=False)
TEAM = {"emergency": "应急管理部门", "department": "行业监管部门", "township": "乡镇（街道）"}
# The checks DOMAIN §5 names before a restart, offered as the checklist's first rows.
ITEMS = (
    ("复工复产方案", "已制定并经主要负责人批准"),
    ("全员安全培训", "复工前全员培训并考核合格"),
    ("隐患全面排查", "已全面排查，发现的隐患已整改"),
    ("应急演练", "已组织应急演练并有记录"),
    ("安全生产责任制", "健全并落实到岗位"),
)
DECISIONS = {"yes": True, "no": False}


def blank_form() -> dict[str, str]:
    """A new checklist: the DOMAIN §5 items and standards, each 合格 until marked otherwise;
    no team, no evidence and no decision (同意 or 不同意 is chosen, never a default)."""
    rows: dict[str, str] = {}
    for i, (item, standard) in enumerate(ITEMS):
        rows |= {f"item_{i}": item, f"standard_{i}": standard, f"result_{i}": "pass"}
    return rows


@router.get("/campaigns")
async def campaigns(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    rows = await upstream.call("hazard_api", "GET", "/campaigns", token=session.token)
    return page(request, "campaigns.html", rows=rows)


@router.get("/campaigns/{campaign_id}")
async def campaign(
    request: Request, campaign_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    base = f"/campaigns/{campaign_id}"
    c = await upstream.call("hazard_api", "GET", base, token=session.token)
    entries = await upstream.call("hazard_api", "GET", f"{base}/enterprises", token=session.token)
    pending = await upstream.call("hazard_api", "GET", f"{base}/pending", token=session.token)
    return page(request, "campaign.html", c=c, entries=entries, pending=pending)


class Target:
    """What is accepted: a 停产整顿 order or an enterprise of a campaign."""

    def __init__(self, kind: str, path: str, back: str) -> None:
        self.kind, self.path, self.back = kind, path, back

    async def load(self, upstream: Upstream, token: str) -> dict[str, Any]:
        if self.kind == "suspension":
            s: dict[str, Any] = await upstream.call("hazard_api", "GET", self.back, token=token)
            allowed = s.get("allowed_actions") or {}
            return {"unit_name": s["unit_name"], "status_label": s["status_label"]} | {
                # Only what hazard_api says this account may do now.
                "resumable": "resume" in allowed,
                "decidable": "decide_acceptance" in allowed,
                "acceptances": s["acceptances"],
                "title": f"停产整顿（{s['order_no']}）",
            }
        campaign_path, unit_id = self.back, self.path.split("/")[-2]
        c = await upstream.call("hazard_api", "GET", campaign_path, token=token)
        rows = await upstream.call("hazard_api", "GET", f"{campaign_path}/enterprises", token=token)
        found: list[dict[str, Any]] = [e for e in rows if e["unit_id"] == unit_id]
        if not found:
            raise UpstreamError(404, "企业不在本次复工复产验收范围内")
        entry = found[0]
        order_no = entry.get("suspension_order_no")
        return entry | {
            "title": c["name"],
            # Only what hazard_api says this account may do now (role, state, and not under
            # an open 停产整顿 order, whose own acceptance decides the restart).
            "decidable": "decide_acceptance" in (entry.get("allowed_actions") or {}),
            "note": (
                f"该企业正在停产停业整顿（{order_no}），须经该责令的复工复产验收合格后方可恢复"
                "生产，不在本次复工复产验收中验收。"
                if order_no and entry["status"] != "accepted"
                else ""
            ),
        }


def _target(kind: str, first: str, second: str | None = None) -> Target:
    if kind == "suspension":
        return Target(kind, f"/suspensions/{first}/acceptance", f"/suspensions/{first}")
    return Target(
        kind, f"/campaigns/{first}/enterprises/{second}/acceptance", f"/campaigns/{first}"
    )


async def _render(
    request: Request,
    target: Target,
    token: str,
    upstream: Upstream,
    *,
    error: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page; `values` is a refused form as it was typed (else a blank checklist)."""
    subject = await target.load(upstream, token)
    return page(
        request,
        "acceptance_checklist.html",
        status,
        s=subject,
        action=target.path,
        back=target.back if target.kind == "campaign" else None,
        team=TEAM,
        rows=range(len(ITEMS)),
        error=error,
        values=blank_form() if values is None else values,
    )


def acceptance_body(form: FormData) -> dict[str, Any]:
    checklist = []
    for i in range(len(ITEMS) + 3):
        item = _text(form, f"item_{i}")
        if item:
            checklist.append(
                {
                    "item": item,
                    "standard": _text(form, f"standard_{i}"),
                    "result": _text(form, f"result_{i}"),
                    "evidence": _text(form, f"evidence_{i}"),
                }
            )
    team = [{"unit": u, "name": _text(form, f"team_{u}")} for u in TEAM if _text(form, f"team_{u}")]
    decision = _text(form, "passed")
    if decision not in DECISIONS:
        raise Refused("验收结论：请选择同意复产或不同意复产")
    return {
        "team": team,
        "checklist": checklist,
        "passed": DECISIONS[decision],
        "note": _text(form, "note"),
    }


async def _decide(request: Request, target: Target, session: Any, upstream: Upstream) -> Response:
    form = await request.form()
    values = kept(form)
    try:
        body = acceptance_body(form)
        await upstream.call("hazard_api", "POST", target.path, token=session.token, json=body)
    except Refused as exc:
        return await _render(
            request, target, session.token, upstream, error=exc.message, status=422, values=values
        )
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        return await _render(
            request,
            target,
            session.token,
            upstream,
            error=exc.message,
            status=exc.status,
            values=values,
        )
    return RedirectResponse(f"{target.path}?done=acceptance", status_code=303)


@router.get("/suspensions/{suspension_id}/acceptance")
async def suspension_form(
    request: Request, suspension_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    return await _render(request, _target("suspension", suspension_id), session.token, upstream)


@router.post("/suspensions/{suspension_id}/acceptance")
async def suspension_decide(
    request: Request, suspension_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    return await _decide(request, _target("suspension", suspension_id), session, upstream)


@router.post("/suspensions/{suspension_id}/resume")
async def suspension_resume(
    request: Request, suspension_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    target = _target("suspension", suspension_id)
    path = f"/suspensions/{suspension_id}/resume"
    try:
        await upstream.call("hazard_api", "POST", path, token=session.token)
    except UpstreamError as exc:
        if exc.status == 404:
            raise
        return await _render(
            request, target, session.token, upstream, error=exc.message, status=exc.status
        )
    return RedirectResponse(f"{target.path}?done=resume", status_code=303)


@router.get("/campaigns/{campaign_id}/enterprises/{unit_id}/acceptance")
async def campaign_form(
    request: Request, campaign_id: str, unit_id: str, session: SessionDep, upstream: UpstreamDep
) -> HTMLResponse:
    target = _target("campaign", campaign_id, unit_id)
    return await _render(request, target, session.token, upstream)


@router.post("/campaigns/{campaign_id}/enterprises/{unit_id}/acceptance")
async def campaign_decide(
    request: Request, campaign_id: str, unit_id: str, session: PostSession, upstream: UpstreamDep
) -> Response:
    return await _decide(request, _target("campaign", campaign_id, unit_id), session, upstream)
