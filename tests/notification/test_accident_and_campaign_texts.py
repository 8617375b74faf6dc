"""Texts of the steps that are not about a hazard: an accident's statutory clocks (上报,
调查报告, 批复, 补报期, 快报缺项) and a campaign's reminders (复工复产验收)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notification.messages.duties import Duty
from services.notification.messages.limits import limit_of
from services.notification.messages.render import (
    sms_variables,
)
from shared.contract import (
    ChainRole,
    EscalationAction,
    HazardFacts,
    HazardStatus,
    StepFired,
    Urgency,
)
from tests.notification.texts import NOW, VOICE, A, R, item, sms_text


def _accident_step(key: str, action: EscalationAction, cls: str = "general") -> StepFired:
    from tests.escalation.accidents import investigation_reported, make_accident

    at = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    a = make_accident(at, at + timedelta(minutes=10), accident_class=cls)
    a = investigation_reported(a, at + timedelta(days=40))
    return StepFired(
        case_id="case-a",
        hazard_id=a.accident_id,
        policy_id="accident-clocks",
        policy_version=1,
        step_key=key,
        step_index=0,
        action=action,
        urgency=Urgency.IMMEDIATE,
        target_roles=[R.COUNTY_OFFICE],
        due_at=at + timedelta(minutes=70),
        fired_at=at + timedelta(minutes=70),
        facts=HazardFacts(
            hazard_id=a.accident_id,
            status=HazardStatus.REPORTED,
            unit_id=a.unit_id,
            unit_name=a.unit_name,
            area_code="330226",
            description="一般事故",
        ),
        accident=a,
    )


@pytest.mark.parametrize(
    ("key", "action", "cls", "role", "status", "ask"),
    [
        ("upward_remind_60m", A.ACCIDENT_CLOCK_REMINDER, "general", R.COUNTY_OFFICE,
         "3月9日23时00分发生，上报期限3月10日1时10分",
         "请于3月10日1时10分前向市应急管理局上报事故信息"),
        ("upward_overdue", A.ACCIDENT_CLOCK_OVERDUE, "larger", R.COUNTY_PRINCIPAL,
         "3月9日23时00分发生，上报期限3月10日1时10分，已超时",
         "请督促有关单位立即向市、省应急管理部门上报事故信息"),
        ("investigation_remind_5d", A.ACCIDENT_CLOCK_REMINDER, "larger", R.COUNTY_OFFICE,
         "3月9日发生，调查报告期限5月8日", "请于5月8日前提交事故调查报告（市级调查组）"),
        ("decision_overdue", A.ACCIDENT_CLOCK_OVERDUE, "general", R.COUNTY_OFFICE,
         "3月9日发生，批复期限5月3日，已逾期", "请立即对调查报告作出批复（县人民政府）"),
        ("supplement_ended", A.ACCIDENT_CLOCK_OVERDUE, "general", R.TOWNSHIP_PRINCIPAL,
         "3月9日发生，补报期已届满", "此后伤亡变化不再改变事故等级，请知悉"),
        ("items_chase", A.ACCIDENT_ITEMS_REMINDER, "general", R.ENTERPRISE_PRINCIPAL,
         "快报缺项：", "请立即补报快报缺项"),
        ("items_chase", A.ACCIDENT_ITEMS_REMINDER, "general", R.TOWNSHIP_PRINCIPAL,
         "快报缺项：", "请督促有关单位立即补报快报缺项"),
    ],
)  # fmt: skip
def test_accident_clock_texts_name_the_clock_its_time_and_the_body(
    key: str, action: EscalationAction, cls: str, role: ChainRole, status: str, ask: str
) -> None:
    got = item(_accident_step(key, action, cls), role)
    assert (got["status"], got["ask"]) == (status, ask)
    _, variables = sms_variables([got], "https://ajb.example.gov.cn/a/tok", VOICE)
    assert "…" not in variables["status"] + variables["ask"], variables  # nothing clipped


def _campaign_step(scope: str, pending: int, name: str = "2027年春节后复工复产") -> StepFired:
    from tests.escalation.campaigns import campaign_facts

    c = campaign_facts().model_copy(update={"name": name})
    unit = "tw-east" if scope == "township" else "dep-yjj"
    return StepFired(
        case_id=f"campaign:{c.campaign_id}",
        hazard_id=c.campaign_id,
        policy_id="campaign-reminder",
        policy_version=1,
        step_key=f"campaign_pending_{scope}",
        step_index=0,
        action=A.CAMPAIGN_REMINDER,
        urgency=Urgency.NORMAL,
        target_roles=[R.TOWNSHIP_PRINCIPAL if scope == "township" else R.DEPARTMENT_HEAD],
        due_at=NOW,
        fired_at=NOW,
        facts=HazardFacts(
            hazard_id=c.campaign_id,
            code=c.notice_no,
            status=HazardStatus.REPORTED,
            unit_id=unit,
            unit_name=c.name,
            area_code="",
            description=f"复工复产验收：{c.name}",
        ),
        campaign=c,
        pending=pending,
    )


@pytest.mark.parametrize(
    ("scope", "role", "text"),
    [
        ("township", R.TOWNSHIP_PRINCIPAL,
         "【示范县安委办】示范县安全生产提醒：2027年春节后复工复产的复工复产验收（编号示安委办"
         "〔2027〕3号）本乡镇（街道）尚有3家企业未通过验收，请督促企业验收合格后方可复工复产。"),
        ("department", R.DEPARTMENT_HEAD,
         "【示范县安委办】示范县安全生产提醒：2027年春节后复工复产的复工复产验收（编号示安委办"
         "〔2027〕3号）本部门监管范围内尚有3家企业未通过验收，请督促企业验收合格后方可复工复产。"),
    ],
)  # fmt: skip
def test_campaign_reminder_text_names_the_campaign_its_notice_and_the_count(
    scope: str, role: ChainRole, text: str
) -> None:
    got = item(_campaign_step(scope, 3), role)
    assert got["duty"] == Duty.CHASE_RESUMPTION.value
    assert "隐患" not in got["status"] + got["ask"] + got["action_label"]
    assert sms_text([got]).startswith(text)


def test_campaign_reminder_variables_stay_within_the_providers_limits() -> None:
    long_name = "二〇二七年春节假期后全县工贸、危险化学品、烟花爆竹、非煤矿山行业企业复工复产"
    got = item(_campaign_step("department", 1234, long_name), R.DEPARTMENT_HEAD)
    _, variables = sms_variables([got], "https://ajb.example.gov.cn/a/tok", VOICE)
    for name, value in variables.items():
        limit = limit_of(name)
        assert limit is None or len(value) <= limit, (name, value)
    assert "…" not in variables["status"] + variables["ask"] + variables["code"]
    # The county leader is told, not asked to chase each enterprise.
    leader = item(_campaign_step("township", 2), R.COUNTY_SAFETY_LEADER)
    assert leader["ask"] == "请知悉，并督促有关单位抓紧组织复工复产验收"
