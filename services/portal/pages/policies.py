"""升级策略: the escalation policies in force, every version frozen onto cases, and the timeline
the policies in force give a chosen hazard (escalation's simulation of its current facts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal.deps import SessionDep, UpstreamDep
from services.portal.pages.notices import resolve_hazard
from services.portal.pages.supervision import require_supervisor
from services.portal.render import page
from services.portal.upstream import Upstream, UpstreamError
from shared.labels import ACTION_LABELS, URGENCY_LABELS, label, roles_label

router = APIRouter(include_in_schema=False)

UNIT_LABELS = {"working_days": "个工作日", "calendar_days": "个自然日", "hours": "小时"}
ANCHOR_LABELS = {
    "deadline": "整改期限",
    "classified": "判定",
    "rectification_reported": "申请验收",
    "acceptance_due": "验收期限",
    "reported": "登记",
    "ordered": "下达整改",
    "listed": "挂牌督办",
    "extension_requested": "申请延期",
    "accepted": "验收通过",
}
LEVEL_LABELS = {"general": "一般事故隐患", "major": "重大事故隐患"}


def step_view(s: dict[str, Any]) -> dict[str, Any]:
    offset = s.get("offset")
    when = ""
    if offset is not None:
        unit = UNIT_LABELS.get(s.get("unit", ""), "")
        side = "前" if offset < 0 else "后"
        anchor = label(ANCHOR_LABELS, s.get("anchor"))
        when = f"{anchor}{side}{abs(offset)}{unit}" if offset else f"{anchor}当时"
    return s | {
        "when": when,
        "action_label": label(ACTION_LABELS, s["action"]),
        "urgency_label": label(URGENCY_LABELS, s.get("urgency")),
        "targets_label": roles_label(s["targets"]),
    }


def match_view(m: dict[str, Any] | None) -> str:
    if m is None:
        return "已不在现行策略中（仍有案件按旧版本运行时保留）"
    parts = []
    if m.get("levels"):
        parts.append("、".join(LEVEL_LABELS.get(v, v) for v in m["levels"]))
    if m.get("grades"):
        parts.append("、".join(f"{g}级" for g in m["grades"]))
    if m.get("listed") is not None:
        parts.append("挂牌督办的" if m["listed"] else "未挂牌的")
    if m.get("unclassified"):
        parts.append("含尚未判定的")
    if m.get("industries"):
        parts.append("行业 " + "、".join(m["industries"][:8]))
    return "；".join(parts) or "全部隐患"


def condensed(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per step: a repeating step (逾期后每N日再催) lists its first time, how often it
    repeats and its last time, instead of hundreds of lines."""
    by_key: dict[str, dict[str, Any]] = {}
    for s in steps:  # in time order
        line = by_key.setdefault(s["step_key"], step_view(s) | {"times": 0})
        line["times"] += 1
        line["last_due_at"] = s["due_at"]
    return list(by_key.values())


async def simulation(
    upstream: Upstream, token: str, hazard_id: str
) -> tuple[dict[str, Any] | None, str]:
    try:
        sim = await upstream.call(
            "escalation", "GET", f"/cases/{hazard_id}/simulation", token=token
        )
        stages = await upstream.call(
            "escalation", "GET", "/cases", token=token, params={"hazard_id": hazard_id}
        )
    except UpstreamError as exc:
        return None, exc.message
    return sim | {"steps": condensed(sim["steps"]), "case": stages[0] if stages else None}, ""


@router.get("/policies")
async def policies(request: Request, session: SessionDep, upstream: UpstreamDep) -> HTMLResponse:
    require_supervisor(session)
    rows = await upstream.call("escalation", "GET", "/policies", token=session.token)
    for p in rows:
        p["match_label"] = match_view(p["match"])
        for v in p["versions"]:
            v["steps"] = [step_view(s) for s in v["steps"]]
    hazard = request.query_params.get("hazard", "")[:100]
    hazard_id, note = await resolve_hazard(upstream, session.token, hazard)
    sim = None
    if hazard_id:
        sim, note = await simulation(upstream, session.token, hazard_id)
    return page(
        request,
        "policies.html",
        policies=rows,
        titles={p["policy_id"]: p["title"] for p in rows},
        hazard=hazard,
        hazard_id=hazard_id,
        sim=sim,
        note=note,
    )
