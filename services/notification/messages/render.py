"""Message texts: versioned Jinja2 templates in Simplified Chinese."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from shared.clock import local
from shared.contract import ChainRole, EscalationAction, HazardLevel, StepFired

TEMPLATES_DIR = Path(__file__).parent / "templates"

ACTION_LABELS: dict[str, str] = {
    EscalationAction.REMINDER: "整改期限提醒",
    EscalationAction.OVERDUE_NOTICE: "隐患整改逾期",
    EscalationAction.SUPERVISION_LETTER: "督办函",
    EscalationAction.BULLETIN: "通报",
    EscalationAction.PROPOSE_LISTING: "建议挂牌督办",
    EscalationAction.RAISE_LISTING: "提级挂牌督办",
    EscalationAction.REFER_DISCIPLINE: "移交纪检监察",
    EscalationAction.ACCEPTANCE_REMINDER: "验收催办",
}
ROLE_LABELS: dict[str, str] = {
    ChainRole.ENTERPRISE_PRINCIPAL: "企业主要负责人",
    ChainRole.ENTERPRISE_SAFETY_MANAGER: "企业安全管理人员",
    ChainRole.TOWNSHIP_PRINCIPAL: "乡镇（街道）主要负责人",
    ChainRole.TOWNSHIP_IN_CHARGE: "乡镇（街道）分管安全负责人",
    ChainRole.DEPARTMENT_HEAD: "行业监管部门主要负责人",
    ChainRole.DEPARTMENT_IN_CHARGE: "行业监管部门分管负责人",
    ChainRole.COUNTY_PORTFOLIO_LEADER: "县分管领导",
    ChainRole.COUNTY_SAFETY_LEADER: "县分管安全生产领导",
    ChainRole.COUNTY_PRINCIPAL: "县主要负责人",
    ChainRole.COUNTY_OFFICE: "县安委办",
}
LEVEL_LABELS = {HazardLevel.GENERAL: "一般事故隐患", HazardLevel.MAJOR: "重大事故隐患"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code: no stat() of the file per message
    )


@lru_cache(maxsize=64)
def template(name: str, version: int, suffix: str) -> Template:
    """Compiled once per process (a versioned template never changes)."""
    return environment().get_template(f"{name}.v{version}.{suffix}.j2")


def render(name: str, version: int, suffix: str, **context: Any) -> str:
    return template(name, version, suffix).render(**context).strip()


def format_local(dt: datetime | None) -> str:
    if dt is None:
        return "未定"
    d = local(dt)
    return f"{d.year}年{d.month}月{d.day}日{d:%H:%M}"


def short_date(dt: datetime | None) -> str:
    if dt is None:
        return "未定"
    d = local(dt)
    return f"{d.month}月{d.day}日"


def notice_item(step: StepFired, role: str, covering_for: str | None) -> dict[str, Any]:
    """What one notice shows; stored on the dispatch so the page never needs another service."""
    facts = step.facts
    return {
        "hazard_id": facts.hazard_id,
        "code": facts.code or facts.hazard_id,
        "unit_name": facts.unit_name,
        "description": facts.description,
        "action": step.action.value,
        "action_label": ACTION_LABELS.get(step.action, step.action.value),
        "deadline_label": format_local(facts.deadline_at),
        "deadline_short": short_date(facts.deadline_at),
        "level_label": LEVEL_LABELS.get(facts.level, "") if facts.level else "",
        "role": role,
        "role_label": ROLE_LABELS.get(role, role),
        "covering_for_label": ROLE_LABELS.get(covering_for, "") if covering_for else "",
        "urgency": step.urgency.value,
    }


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sms_variables(items: list[dict[str, Any]], link: str) -> tuple[str, dict[str, str]]:
    """Our template key and its variables (each provider maps them onto its own template)."""
    if len(items) == 1:
        item = items[0]
        return "notice", {
            "action": item["action_label"],
            "unit": _clip(item["unit_name"], 20),
            "code": _clip(str(item["code"]), 20),
            "deadline": item["deadline_short"],
            "link": link,
        }
    return "digest", {"count": str(len(items)), "link": link}


# A digest's subject names this many hazard codes, then "等".
SUBJECT_CODES = 3


def email_subject(items: list[dict[str, Any]]) -> str:
    """Names the hazard code(s), so a reader can find the hazard from the inbox list."""
    if len(items) == 1:
        item = items[0]
        return f"【督办】{item['action_label']}：{item['unit_name']}隐患（编号 {item['code']}）"
    codes = "、".join(str(i["code"]) for i in items[:SUBJECT_CODES])
    more = "等" if len(items) > SUBJECT_CODES else ""
    return f"【督办】您负责的{len(items)}项隐患已逾期或需督办（编号 {codes}{more}）"
