"""A statistics-report reminder as a person reads it: which enterprise, which period, by when.

Not a hazard: the item has no hazard id, code or deadline state, only the enterprise, the
period (2026年第1季度, 2026年度) and the due date. It carries the few fields every dispatch
item has (`action_label`, `code`, `deadline_label` …) so the delivery pipeline, the email and
the delivery log read it like any other item.
"""

from __future__ import annotations

from typing import Any

from shared.contract import ReportDue, Urgency
from shared.labels import calendar_date, report_period_label, role_label

REPORT_ITEM = "report"
REPORT_ACTION = "report_due"  # a report request's `action`
# What an enterprise reports (生产安全事故隐患排查治理情况统计分析，16号令).
REPORT_SUBJECT = "事故隐患排查治理情况统计"
TITLE = "统计报送提醒"


def report_step(payload: ReportDue, *, unit_id: str, unit_name: str) -> dict[str, Any]:
    """What a report request stores in its `step` column."""
    return {
        "report_due": payload.model_dump(mode="json"),
        "unit_id": unit_id,
        "unit_name": unit_name,
    }


def is_report(step: dict[str, Any]) -> bool:
    return "report_due" in step


def is_report_item(item: dict[str, Any]) -> bool:
    return item.get("kind") == REPORT_ITEM


def report_item(step: dict[str, Any], role: str, covering_for: str | None) -> dict[str, Any]:
    """One report reminder as stored on its dispatch."""
    payload = ReportDue.model_validate(step["report_due"])
    period = report_period_label(payload.kind, payload.year, payload.quarter)
    due = calendar_date(payload.due_date)
    return {
        "kind": REPORT_ITEM,
        "reminder_id": payload.reminder_id,
        "unit_id": step["unit_id"],
        "unit_name": step["unit_name"],
        "period_label": period,
        "due_label": f"{payload.due_date.year}年{due}",
        "due_short": due,
        "report_label": REPORT_SUBJECT,
        "ask": f"请于{due}前报送{step['unit_name']}{period}{REPORT_SUBJECT}",
        # The fields every item has (delivery log, email context, acknowledgement page).
        "action": REPORT_ACTION,
        "action_label": TITLE,
        "code": period,
        "description": f"{period}{REPORT_SUBJECT}",
        "deadline_label": f"{payload.due_date.year}年{due}",
        "deadline_short": due,
        "level_label": "",
        "status": f"报送截止日期为{due}",
        "role": role,
        "role_label": role_label(role),
        "covering_for_label": role_label(covering_for),
        "urgency": Urgency.NORMAL.value,
        "overdue": False,
        "overdue_days": 0,
    }
