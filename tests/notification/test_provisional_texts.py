"""A deadline counted on a year whose holidays the State Council has not yet published is an
estimate: every text, email and page that gives it says 「（预计）」 after the date (#12)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.notification.messages.limits import TEXT_LIMIT
from services.notification.messages.render import (
    Voice,
    email_subject,
    notice_item,
    render,
    sms_variables,
)
from services.notification.messages.render import sms_text as render_sms
from shared.contract import (
    ChainRole,
    EscalationAction,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    ListingLevel,
    StepFired,
    Urgency,
)

NOW = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
DEADLINE = datetime(2027, 1, 5, 15, 59, 59, 999999, tzinfo=UTC)  # end of 5 January
VOICE = Voice("示范县", "示范县安委办", "0571-88880000")
LINK = "https://ajb.example.gov.cn/a/tok"


def step(action: EscalationAction, *, provisional: bool, **facts: Any) -> StepFired:
    return StepFired(
        case_id="case-1",
        hazard_id="h-1",
        policy_id="county-general",
        policy_version=2,
        step_key="k",
        step_index=0,
        action=action,
        urgency=Urgency.NORMAL,
        target_roles=[ChainRole.ENTERPRISE_PRINCIPAL],
        due_at=NOW,
        fired_at=NOW,
        facts=HazardFacts(
            **{
                "hazard_id": "h-1",
                "code": "YH-2026-0001",
                "status": HazardStatus.RECTIFYING,
                "level": HazardLevel.GENERAL,
                "unit_id": "u-firm",
                "unit_name": "示范建材有限公司",
                "area_code": "330001",
                "description": "粉尘涉爆除尘系统未设置泄爆装置",
                "deadline_at": DEADLINE,
                "deadline_provisional": provisional,
            }
            | facts
        ),
    )


def item(s: StepFired, role: ChainRole = ChainRole.ENTERPRISE_PRINCIPAL) -> dict[str, Any]:
    return notice_item(s, role.value, None, now=NOW, raw=s.model_dump(mode="json"))


@pytest.mark.parametrize(
    ("action", "role", "facts", "status"),
    [
        (
            EscalationAction.RECTIFICATION_ORDER,
            ChainRole.ENTERPRISE_PRINCIPAL,
            {},
            "已下达整改要求，整改期限为1月5日（预计）",
        ),
        (EscalationAction.REMINDER, ChainRole.TOWNSHIP_IN_CHARGE, {}, "整改期限为1月5日（预计）"),
        (
            EscalationAction.LISTING_NOTICE,
            ChainRole.COUNTY_PORTFOLIO_LEADER,
            {"listing_level": ListingLevel.COUNTY, "level": HazardLevel.MAJOR, "grade": 3},
            "已列入县级挂牌督办，整改期限为1月5日（预计）",
        ),
    ],
)
def test_an_estimated_deadline_says_so_in_the_text(
    action: EscalationAction, role: ChainRole, facts: dict[str, Any], status: str
) -> None:
    got = item(step(action, provisional=True, **facts), role)
    assert got["status"] == status
    text = render_sms([got], LINK, VOICE)
    assert status in text, text
    key, variables = sms_variables([got], LINK, VOICE)
    assert key == "notice" and variables["status"] == status  # within the provider's limit
    assert len(status) <= TEXT_LIMIT
    assert status in email_subject([got], VOICE)
    assert got["deadline_label"] == "2027年1月5日23:59（预计）"
    assert got["deadline_short"] == "1月5日（预计）"
    page = render(
        "pages/ack",
        1,
        "html",
        person_name="张红星",
        items=[got],
        acknowledged_at=None,
        action_url="/a/tok",
        expires="2027年1月20日09:00",
    )
    assert "2027年1月5日23:59（预计）" in page


def test_a_deadline_on_a_published_schedule_has_no_mark() -> None:
    got = item(step(EscalationAction.REMINDER, provisional=False))
    assert got["status"] == "整改期限为1月5日"
    assert "预计" not in render_sms([got], LINK, VOICE)
    assert got["deadline_label"] == "2027年1月5日23:59"
