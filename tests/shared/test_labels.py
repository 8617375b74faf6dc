"""Every code a person may meet has a Chinese label, and times read in Beijing time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from services.escalation.cases.models import CaseState
from shared import labels
from shared.contract import (
    ChainRole,
    Channel,
    DeadlineKind,
    EscalationAction,
    HazardEventType,
    HazardLevel,
    HazardStatus,
    ListingLevel,
    NotificationStatus,
    PostRole,
    Producer,
    TaskKind,
    Urgency,
)

VOCABULARIES: list[tuple[type[StrEnum], Mapping[str, str]]] = [
    (ChainRole, labels.CHAIN_ROLE_LABELS),
    (PostRole, labels.POST_ROLE_LABELS),
    (EscalationAction, labels.ACTION_LABELS),
    (Urgency, labels.URGENCY_LABELS),
    (HazardStatus, labels.HAZARD_STATUS_LABELS),
    (HazardLevel, labels.HAZARD_LEVEL_LABELS),
    (ListingLevel, labels.LISTING_LEVEL_LABELS),
    (DeadlineKind, labels.DEADLINE_KIND_LABELS),
    (HazardEventType, labels.HAZARD_EVENT_LABELS),
    (Producer, labels.PRODUCER_LABELS),
    (Channel, labels.CHANNEL_LABELS),
    (NotificationStatus, labels.NOTIFICATION_STATUS_LABELS),
    (CaseState, labels.CASE_STATE_LABELS),
    (TaskKind, labels.TASK_KIND_LABELS),
]


@pytest.mark.parametrize(
    ("enum", "vocabulary"), VOCABULARIES, ids=lambda v: getattr(v, "__name__", "")
)
def test_every_code_has_a_chinese_label(enum: type[StrEnum], vocabulary: Mapping[str, str]) -> None:
    assert {m.value for m in enum} == set(vocabulary)
    for text in vocabulary.values():
        assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[A-Za-z]", text), text


def test_an_unknown_code_never_leaks_through() -> None:
    assert labels.label(labels.HAZARD_STATUS_LABELS, "rectifying") == "整改中"
    assert labels.label(labels.HAZARD_STATUS_LABELS, "someday_new") == "其他"
    assert labels.label(labels.HAZARD_STATUS_LABELS, None) == ""
    assert (
        labels.roles_label(["enterprise.principal", "county_office"]) == "企业主要负责人、县安委办"
    )


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("started", "开始督办，按整改期限排定提醒和升级步骤"),
        ("rebaselined", "整改期限变更，督办步骤按新期限重排"),
        ("replanned", "隐患情况变化，督办步骤已调整"),
        ("paused", "已申请验收，逾期督办暂停，验收催办计时开始"),
        ("resumed", "验收未通过，逾期督办恢复"),
        ("acknowledged: overdue_3wd", "督办对象已签收，该步骤不再重复提醒"),
        ("stopped: hazard.closed", "隐患销号，督办结束"),
        ("stopped: hazard.accepted", "隐患验收通过，督办结束"),
        ("stopped: hazard.voided", "隐患作废，督办结束"),
        ("accepted", "验收通过，摘牌销号催办计时开始"),
        (
            "policy switched: county-major v2 -> county-listed v1",
            "隐患等级或挂牌情况变化，改按新的督办规则重新排定",
        ),
    ],
)
def test_case_reasons_read_as_sentences(reason: str, text: str) -> None:
    assert labels.case_reason_label(reason) == text


def test_times_are_written_in_beijing_time() -> None:
    last_moment = datetime(2027, 1, 1, 15, 59, 59, 999999, tzinfo=UTC)
    assert labels.beijing_time(last_moment) == "2027年1月1日23:59"
    assert labels.beijing_date(datetime(2027, 1, 1, 16, 0, tzinfo=UTC)) == "1月2日"
    assert labels.beijing_time(None) == "未定"


def test_a_statistic_of_a_period_that_has_ended_is_as_of_its_last_day() -> None:
    # The third quarter ends at 1 October 00:00 Beijing time: county practice writes 9月30日.
    assert labels.as_of_label(datetime(2026, 9, 30, 16, 0, tzinfo=UTC)) == "2026年9月30日"
    assert labels.as_of_label(datetime(2026, 3, 6, 1, 0, tzinfo=UTC)) == "2026年3月6日09:00"
