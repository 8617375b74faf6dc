"""One notice as it is stored on the dispatch: the fields the SMS variables, the email and the
acknowledgement page read, assembled from the step with the wording of `wording.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.notification.messages import accident_clocks, campaigns, suspensions
from services.notification.messages.duties import Matter, duty_of, matter_of
from services.notification.messages.wording import (
    ACCIDENT_CLOCK_MATTERS,
    DUE_SOON,
    ask_text,
    days_overdue,
    duty_due,
    proposal_of,
    status_text,
    title_of,
    when_text,
)
from shared.accident_labels import ACCIDENT_CLASS_LABELS
from shared.contract import DocumentRef, StepFired
from shared.labels import (
    DOCUMENT_TYPE_LABELS,
    HAZARD_LEVEL_LABELS,
    deadline_label,
    label,
    role_label,
)


def document_notice(doc: DocumentRef) -> dict[str, Any]:
    """An issued document as the text cites it: its name and 文号 are the news (the status the
    text tells), the link reads it."""
    name = label(DOCUMENT_TYPE_LABELS, doc.doc_type)
    return {
        "action_label": name,
        "status": f"已印发{name}（{doc.doc_no}）",
        "document_no": doc.doc_no,
        "document_title": doc.title,
        "document_url": doc.url,
    }


def _is_hazard(step: StepFired) -> bool:
    return step.accident is None and step.campaign is None and step.suspension is None


def notice_item(
    step: StepFired,
    role: str,
    covering_for: str | None,
    *,
    now: datetime,
    raw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What one notice shows; stored on the dispatch so the page never needs another service.
    `role`: the chain role that answered, `covering_for` the vacant one it stands in for (whose
    duty decides the wording); `raw`: the step as received, for fields a newer escalation may
    add (a task's kind)."""
    facts = step.facts
    action = step.action.value
    matter = matter_of(action)
    # Whoever covers a vacant post is asked that post's duty (a leader standing in for the
    # department's verifier must still organise the acceptance).
    duty = duty_of(action, covering_for or role)
    due = duty_due(step, matter)
    overdue = days_overdue(due, now)
    return {
        "hazard_id": facts.hazard_id,
        "code": facts.code or facts.hazard_id,
        "unit_name": facts.unit_name,
        "description": facts.description,
        # An accident's, a campaign's or an order's step names its matter, not a hazard, and
        # has no 整改期限 (its ask carries any date): the email says 事项 and leaves that out.
        "description_heading": "隐患描述" if _is_hazard(step) else "事项",
        "deadline_heading": "整改期限" if _is_hazard(step) else "",
        "action": action,
        "action_label": title_of(action, matter, overdue),
        "deadline_label": deadline_label(facts.deadline_at, facts.deadline_provisional),
        "deadline_short": deadline_label(facts.deadline_at, facts.deadline_provisional, short=True),
        "level_label": (
            label(ACCIDENT_CLASS_LABELS, step.accident.accident_class)
            if step.accident is not None
            else campaigns.LEVEL
            if step.campaign is not None
            else suspensions.LEVEL
            if step.suspension is not None
            else label(HAZARD_LEVEL_LABELS, facts.level, missing="隐患（待判定）")
        ),
        "role": role,
        "role_label": role_label(role),
        "covering_for_label": role_label(covering_for),
        "urgency": step.urgency.value,
        "duty": duty.value,
        "matter": matter.value,
        "status": status_text(step, matter, now),
        "ask": (
            accident_clocks.ask(step, duty)
            if matter in ACCIDENT_CLOCK_MATTERS and step.accident is not None
            else campaigns.ask(duty)
            if matter is Matter.CAMPAIGN
            else suspensions.ask(step, duty)
            if matter is Matter.SUSPENSION and step.suspension is not None
            else ask_text(duty, matter, when_text(due, overdue), proposal_of(step, raw or {}))
        ),
        "overdue_days": overdue,
        "overdue": overdue > 0,
        "due_soon": not overdue and due is not None and due - now <= DUE_SOON,
    } | (document_notice(step.document) if step.document is not None else {})
