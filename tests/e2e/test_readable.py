"""The check behind the e2e scenario finds each kind of code and UTC time, and nothing else."""

from __future__ import annotations

import pytest

from tests.e2e.readable import STEP_KEYS, offences, visible_text


@pytest.mark.parametrize(
    ("text", "offence"),
    [
        ("督办升级：通知 enterprise.principal", "role code: 'enterprise.principal'"),
        ("通知 county_office", "role code: 'county_office'"),
        ("步骤 remind_5wd 已触发", "step key: 'remind_5wd'"),
        ("督办案件状态：active（rebaselined）", "English status or code: 'active'"),
        ("隐患状态 rectifying", "English status or code: 'rectifying'"),
        ("原因：stopped: hazard.accepted", "English status or code: 'hazard.accepted'"),
        ("另一个代码 some_new_code", "identifier: 'some_new_code'"),
        ("期限 2027-01-01T15:59:59.999999Z", "UTC/ISO timestamp: '2027-01-01T15:59'"),
        ("期限 2027-01-01 15:59:59+00:00", "UTC/ISO timestamp: '15:59:59+00:00'"),
        ("期限 15:59 UTC", "UTC/ISO timestamp: 'UTC'"),
    ],
)
def test_each_kind_of_code_is_found(text: str, offence: str) -> None:
    assert offence in offences(text)


def test_prose_links_and_addresses_pass() -> None:
    text = (
        "【应急督办】逾期整改通知：红星烟花隐患YH-2026-0001，整改期限2026年3月23日23:59，"
        "请督促落实。详情及签收：http://127.0.0.1:8002/a/active_remind_5wd\n"
        "邮箱 leader@county.gov.cn"
        "（链接有效期至 2026-03-30 09:30）"
    )
    assert offences(text) == []


def test_every_policy_step_is_known() -> None:
    assert {"remind_5wd", "overdue_notice", "acceptance_due", "still_overdue"} <= STEP_KEYS


def test_html_is_read_as_a_browser_shows_it() -> None:
    html = (
        '<html lang="zh-CN"><body style="font-family: sans-serif"><p>张红星，您好</p></body></html>'
    )
    assert visible_text(html).strip() == "张红星，您好"
    assert offences(visible_text(html)) == []
