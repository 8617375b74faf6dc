"""Timeline entries and display fields in Chinese and Beijing time; codes stay for machines."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.hazard_api.timeline.flows import case_summary, finding_summary, notification_summary
from shared.contract import (
    AuditorAnomaly,
    CaseChanged,
    ChainRole,
    Channel,
    NotificationChanged,
    NotificationStatus,
)

MOVED = "演示时钟被调快，原定于2026年3月16日09:00的督办步骤在时钟调整后才到期，系统随即补发"


def finding(kind: str, detail: str) -> AuditorAnomaly:
    return AuditorAnomaly(case_id="c-1", hazard_id="h-1", kind=kind, detail=detail)


def test_a_moved_clock_is_no_fault_on_the_timeline() -> None:
    summary = finding_summary(finding("clock_moved", MOVED))
    assert summary == f"督办核查：{MOVED}"
    assert "异常" not in summary and "问题" not in summary


def test_a_real_fault_says_what_is_wrong() -> None:
    detail = "原定于2026年3月16日09:00发出的督办步骤至2026年3月16日09:20仍未发出"
    assert finding_summary(finding("overdue_step", detail)) == (
        f"督办核查发现问题（督办步骤逾期未发出）：{detail}"
    )


def test_case_changes_read_as_sentences_with_the_next_time_in_beijing() -> None:
    change = CaseChanged(
        case_id="c-1",
        hazard_id="h-1",
        state="active",
        policy_id="county-major",
        policy_version=1,
        next_fire_at=datetime(2026, 3, 16, 1, 0, tzinfo=UTC),
        reason="rebaselined",
    )
    assert case_summary(change) == (
        "督办安排：整改期限变更，督办步骤按新期限重排；下一次督办2026年3月16日09:00"
    )
    stopped = change.model_copy(update={"state": "stopped", "next_fire_at": None})
    stopped = stopped.model_copy(update={"reason": "stopped: hazard.closed"})
    assert case_summary(stopped) == "督办安排：隐患销号，督办结束"


async def test_display_fields_are_documented_in_openapi(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    hazard = schemas["HazardOut"]["properties"]
    for field in (
        "status_label",
        "level_label",
        "listing_level_label",
        "deadline_kind_label",
        "source_label",
        "deadline_label",
    ):
        assert hazard[field]["type"] == "string" and hazard[field]["description"], field
    item = schemas["TimelineItem"]["properties"]
    for field in ("at_label", "kind_label", "source_label", "actor_role_label"):
        assert item[field]["type"] == "string" and item[field]["description"], field
    assert hazard["status"]["$ref"].endswith("/HazardStatus")  # the code stays as it was


def test_a_failed_notice_names_the_post_and_whose_words_the_reason_is() -> None:
    change = NotificationChanged(
        notification_id="n-1:sms",
        request_event_id="e-1",
        hazard_ids=["h-1"],
        person_id="p-1",
        person_name="张红星",
        chain_role=ChainRole.ENTERPRISE_PRINCIPAL,
        channel=Channel.SMS,
        provider="aliyun",
        status=NotificationStatus.FAILED,
        at=datetime(2026, 3, 16, 1, 0, tzinfo=UTC),
        detail="isv.MOBILE_NUMBER_ILLEGAL",
    )
    assert notification_summary(change) == (
        "短信通知企业主要负责人张红星：发送失败（服务商返回：isv.MOBILE_NUMBER_ILLEGAL）"
    )
    ours = change.model_copy(update={"detail": "短信与邮件均未能送达：号码停机"})
    assert notification_summary(ours) == (
        "短信通知企业主要负责人张红星：发送失败（短信与邮件均未能送达：号码停机）"
    )
