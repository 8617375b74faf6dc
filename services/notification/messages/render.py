"""Message texts: versioned Jinja2 templates in Simplified Chinese."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from shared.contract import StepFired
from shared.labels import (
    ACTION_LABELS,
    HAZARD_LEVEL_LABELS,
    beijing_date,
    beijing_time,
    label,
    role_label,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"


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


def notice_item(step: StepFired, role: str, covering_for: str | None) -> dict[str, Any]:
    """What one notice shows; stored on the dispatch so the page never needs another service."""
    facts = step.facts
    return {
        "hazard_id": facts.hazard_id,
        "code": facts.code or facts.hazard_id,
        "unit_name": facts.unit_name,
        "description": facts.description,
        "action": step.action.value,
        "action_label": label(ACTION_LABELS, step.action),
        "deadline_label": beijing_time(facts.deadline_at),
        "deadline_short": beijing_date(facts.deadline_at),
        "level_label": label(HAZARD_LEVEL_LABELS, facts.level),
        "role": role,
        "role_label": role_label(role),
        "covering_for_label": role_label(covering_for),
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
