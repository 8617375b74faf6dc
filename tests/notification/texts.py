"""A hazard's escalation step and the texts rendered from it, for the text tests: a fixed
time (Friday 09:00 in Shanghai), the county's voice, one step with any facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.notification.messages.render import (
    Voice,
    notice_item,
)
from services.notification.messages.render import sms_text as render_sms
from shared.contract import (
    ChainRole,
    EscalationAction,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    StepFired,
    Urgency,
)

NOW = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)  # Friday 09:00 in Shanghai
VOICE = Voice("示范县", "示范县安委办", "0571-88880000")
A = EscalationAction
R = ChainRole


def step(
    action: EscalationAction = A.OVERDUE_NOTICE,
    *,
    deadline: datetime | None = NOW - timedelta(days=1),
    repeat_index: int = 0,
    title: str | None = None,
    unit_name: str = "示范建材有限公司",
    code: str = "YH-2026-0001",
    hazard_id: str = "h-1",
    level: HazardLevel | None = HazardLevel.MAJOR,
    **facts: Any,
) -> StepFired:
    return StepFired(
        case_id="case-1",
        hazard_id=hazard_id,
        policy_id="county-listed",
        policy_version=1,
        step_key="k",
        step_index=0,
        repeat_index=repeat_index,
        action=action,
        urgency=Urgency.NORMAL,
        target_roles=[R.ENTERPRISE_PRINCIPAL],
        due_at=NOW,
        fired_at=NOW,
        step_title=title,
        facts=HazardFacts(
            hazard_id=hazard_id,
            code=code,
            status=HazardStatus.RECTIFYING,
            level=level,
            unit_id="u-firm",
            unit_name=unit_name,
            area_code="330001",
            description="粉尘涉爆除尘系统未设置泄爆装置",
            deadline_at=deadline,
            **facts,
        ),
    )


def item(s: StepFired, role: ChainRole) -> dict[str, Any]:
    return notice_item(s, role.value, None, now=NOW, raw=s.model_dump(mode="json"))


def sms_text(items: list[dict[str, Any]]) -> str:
    return render_sms(items, "https://ajb.example.gov.cn/a/tok", VOICE)
