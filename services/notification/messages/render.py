"""Message texts: versioned Jinja2 templates in Simplified Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from services.notification.config import Settings
from services.notification.messages.limits import clipped
from services.notification.messages.notice import notice_item
from services.notification.messages.reports import is_report_item
from shared.contract import Urgency

__all__ = [
    "Voice",
    "email_subject",
    "notice_item",
    "render",
    "shown",
    "sms_text",
    "sms_variables",
    "split",
    "template_of",
]

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


@dataclass(frozen=True)
class Voice:
    """Who speaks and whom to call back: the same in every text and email."""

    county: str
    organisation: str
    phone: str

    @classmethod
    def of(cls, settings: Settings) -> Voice:
        return cls(settings.county_name, settings.sender_organisation, settings.contact_phone)


# StrEnum members hash as their values: the rank of an item's stored string too.
URGENCY_RANK: dict[str, int] = {Urgency.NORMAL: 0, Urgency.URGENT: 1, Urgency.IMMEDIATE: 2}


def shown(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The matters a person reads: one line per hazard and duty. Steps of one hazard that
    come due together (the timers catching up after an outage, or a digest window spanning
    two reminders) each keep their own item, so escalation hears of each request, but a
    reader is told of the hazard once: the most pressing step, the latest of those."""
    kept: dict[tuple[Any, ...], int] = {}
    out: list[dict[str, Any]] = []
    for item in items:
        key = (item.get("hazard_id"), item.get("matter"), item.get("duty"))
        if item.get("hazard_id") is None or key not in kept:
            kept[key] = len(out)
            out.append(item)
            continue
        at = kept[key]
        rank = URGENCY_RANK.get(str(item.get("urgency")), 0)
        if rank >= URGENCY_RANK.get(str(out[at].get("urgency")), 0):
            out[at] = item
    return out


Items = list[dict[str, Any]]


def split(items: Items) -> tuple[Items, Items, Items]:
    """A digest's 「已逾期」, 「即将到期」 and other items, each in its order. An item stored
    before `due_soon` was (a dispatch shown again) counts as 即将到期, as it was sent."""
    overdue = [i for i in items if i.get("overdue")]
    later = [i for i in items if not i.get("overdue")]
    soon = [i for i in later if i.get("due_soon", True)]
    return overdue, soon, [i for i in later if not i.get("due_soon", True)]


def template_of(items: list[dict[str, Any]]) -> str:
    """Our template key for a dispatch's items (a report reminder always goes alone)."""
    items = shown(items)
    if is_report_item(items[0]):
        return "report"
    return "notice" if len(items) == 1 else "digest"


def sms_variables(
    items: list[dict[str, Any]], link: str, voice: Voice
) -> tuple[str, dict[str, str]]:
    """Our template key and its variables (each provider maps them onto its own template),
    clipped to the providers' per-variable limits. `action` and `deadline` (the v1 notice's)
    and `count` stay for templates approved before v2."""
    items = shown(items)
    if is_report_item(items[0]):
        item = items[0]
        variables = {
            "county": voice.county,
            "unit": item["unit_name"],
            "period": item["period_label"],
            "due": item["due_short"],
            "phone": voice.phone,
        }
        return "report", clipped(variables)
    if len(items) == 1:
        item = items[0]
        variables = {
            "county": voice.county,
            "unit": item["unit_name"],
            "level": item.get("level_label") or "隐患",
            "code": str(item["code"]),
            "status": item.get("status") or f"整改期限{item['deadline_short']}",
            "ask": item.get("ask") or "请按要求办理",
            "phone": voice.phone,
            "action": item["action_label"],
            "deadline": item["deadline_short"],
            "link": link,
        }
        return "notice", clipped(variables)
    overdue, upcoming, _ = split(items)
    variables = {
        "county": voice.county,
        "count": str(len(items)),
        "overdue": str(len(overdue)),
        "upcoming": str(len(upcoming)),
        "phone": voice.phone,
        "link": link,
    }
    return "digest", clipped(variables)


def sms_text(items: list[dict[str, Any]], link: str, voice: Voice, version: int = 2) -> str:
    """The text a phone shows for these items, signed by the organisation (what the golden
    walkthrough prints for each person)."""
    key, variables = sms_variables(items, link, voice)
    return render(f"sms/{key}", version, "txt", sign=voice.organisation, **variables)


# A digest's subject names this many hazard codes, then "等".
SUBJECT_CODES = 3


def email_subject(items: list[dict[str, Any]], voice: Voice) -> str:
    """Names the hazard code(s), so a reader can find the hazard from the inbox list."""
    items = shown(items)
    if is_report_item(items[0]):
        item = items[0]
        return (
            f"【{voice.organisation}】{item['action_label']}：请于{item['due_short']}前报送"
            f"{item['unit_name']}{item['period_label']}{item['report_label']}"
        )
    if len(items) == 1:
        item = items[0]
        level = item.get("level_label") or "隐患"
        status = item.get("status") or ""
        return (
            f"【{voice.organisation}】{item['action_label']}：{item['unit_name']}{level}"
            f"（编号 {item['code']}）{status}"
        )
    overdue, upcoming, others = split(items)
    codes = "、".join(str(i["code"]) for i in items[:SUBJECT_CODES])
    more = "等" if len(items) > SUBJECT_CODES else ""
    rest = f"、其他{len(others)}项" if others else ""
    return (
        f"【{voice.organisation}】您有{len(items)}项隐患事项需要办理："
        f"已逾期{len(overdue)}项、即将到期{len(upcoming)}项{rest}（编号 {codes}{more}）"
    )
