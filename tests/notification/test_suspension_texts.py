"""Texts of a 停产整顿 order's 复工复产 steps: the township is asked to review the application,
the acceptance team to organise the 复工复产验收 by the 10th day after the review, the enterprise
whose application was returned to rectify and apply again — each naming the sender, the
enterprise and the order's 文号; a step goes in its own text, never in a hazard digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.notification.delivery.bundle import stands_alone
from services.notification.messages.duties import Duty
from services.notification.messages.limits import limit_of
from services.notification.messages.render import render, sms_variables
from shared.clock import SHANGHAI
from shared.contract import (
    ChainRole,
    Envelope,
    EscalationAction,
    HazardFacts,
    HazardStatus,
    Producer,
    StepFired,
    SuspensionFacts,
    SuspensionStatus,
    Urgency,
)
from tests.escalation.suspensions import suspension_facts
from tests.notification.county import DEPT, FIRM, PEOPLE, TOWN, org_events, step_fired
from tests.notification.settings import aliyun_config
from tests.notification.texts import NOW, VOICE, R, item, sms_text
from tests.notification.texts import step as hazard_step

DUE = datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=SHANGHAI)  # 10 days after the review
LINK = "https://ajb.example.gov.cn/a/tok"
HEAD = (
    "【示范县安委办】示范县安全生产提醒：红星烟花爆竹有限公司的停产整顿（编号示应急停〔2027〕5号）"
)
TAIL = f"。详情及签收：{LINK} 咨询电话：0571-88880000"


def resumption_step(
    key: str, unit_id: str, role: ChainRole, s: SuspensionFacts | None = None
) -> StepFired:
    s = s or suspension_facts(SuspensionStatus.REVIEWED)
    return StepFired(
        case_id=f"suspension:{s.suspension_id}",
        hazard_id=s.suspension_id,
        policy_id="suspension-resumption",
        policy_version=1,
        step_key=key,
        step_index=0,
        action=EscalationAction.RESUMPTION_STEP,
        urgency=Urgency.NORMAL,
        target_roles=[role],
        due_at=NOW,
        fired_at=NOW,
        facts=HazardFacts(
            hazard_id=s.suspension_id,
            code=s.order_no,
            status=HazardStatus.REPORTED,
            unit_id=unit_id,
            unit_name=s.unit_name,
            area_code="",
            township_id=s.township_id,
            department_ids=s.department_ids,
            description=f"停产整顿复工复产：{s.unit_name}",
            acceptance_due_at=DUE if key == "suspension_reviewed" else None,
        ),
        suspension=s,
    )


@pytest.mark.parametrize(
    ("key", "unit", "role", "said"),
    [
        ("suspension_applied", "tw-east", R.TOWNSHIP_PRINCIPAL,
         "企业已提交复工复产申请，请及时审核"),
        ("suspension_reviewed", "dep-yjj", R.DEPARTMENT_HEAD,
         "复工复产申请已经乡镇（街道）审核同意，请于3月16日前组织复工复产验收"),
        ("suspension_reviewed", "tw-east", R.TOWNSHIP_PRINCIPAL,
         "复工复产申请已经乡镇（街道）审核同意，请于3月16日前组织复工复产验收"),
        ("suspension_returned", "ent-hongxing", R.ENTERPRISE_PRINCIPAL,
         "复工复产申请未通过乡镇（街道）审核，请继续整改，整改完成后重新申请复工复产"),
    ],
)  # fmt: skip
def test_each_step_names_the_sender_the_enterprise_the_order_and_what_to_do(
    key: str, unit: str, role: ChainRole, said: str
) -> None:
    got = item(resumption_step(key, unit, role), role)
    assert got["duty"] == Duty.HANDLE_RESUMPTION.value
    assert got["action_label"] == "停产整顿复工复产办理提醒"
    assert "隐患" not in got["status"] + got["ask"] + got["action_label"] + got["level_label"]
    assert sms_text([got]) == HEAD + said + TAIL


def test_a_county_leader_standing_by_is_told_and_urges() -> None:
    step = resumption_step("suspension_reviewed", "tw-east", R.TOWNSHIP_PRINCIPAL)
    leader = item(step, R.COUNTY_SAFETY_LEADER)
    assert leader["ask"] == "请知悉，并督促有关单位于3月16日前组织复工复产验收"


def test_the_variables_stay_within_the_providers_limits() -> None:
    long = suspension_facts(
        SuspensionStatus.REVIEWED,
        unit_name="示范县城关镇某某某某某某某某某某某某某某某某某某某某烟花爆竹制品有限责任公司",
        order_no="示范县应急管理局责令停产停业整顿决定书示应急停〔2027〕第0005号",
    )
    for key, role in (
        ("suspension_applied", R.TOWNSHIP_PRINCIPAL),
        ("suspension_reviewed", R.DEPARTMENT_HEAD),
        ("suspension_returned", R.ENTERPRISE_PRINCIPAL),
    ):
        got = item(resumption_step(key, "tw-east", role, long), role)
        _, variables = sms_variables([got], LINK, VOICE)
        for name, value in variables.items():
            limit = limit_of(name)
            assert limit is None or len(value) <= limit, (name, value)
        assert "…" not in variables["status"] + variables["ask"] + variables["level"]


def test_a_step_is_never_buried_in_a_digest() -> None:
    step = resumption_step("suspension_applied", "tw-east", R.TOWNSHIP_PRINCIPAL)
    assert stands_alone(step.model_dump(mode="json"))


async def test_the_acceptance_team_gets_its_own_text_at_the_provider(
    make_harness: Any, aliyun: Any
) -> None:
    """Through the service: the township and the department as the order names them resolve
    to their principals, and the township's hazard notice due at once goes in another text."""
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], digest_window_s=600)
    await h.org(org_events())
    s = suspension_facts(
        SuspensionStatus.REVIEWED, unit_id=FIRM, township_id=TOWN, department_ids=[DEPT]
    )
    for unit, role in ((TOWN, R.TOWNSHIP_PRINCIPAL), (DEPT, R.DEPARTMENT_HEAD)):
        step = resumption_step("suspension_reviewed", unit, role, s)
        at = h.clock.now()
        await h.step(
            Envelope.of(
                step, aggregate_id=s.suspension_id, producer=Producer.ESCALATION, occurred_at=at
            )
        )
    await h.step(step_fired(h.clock, roles=[R.TOWNSHIP_PRINCIPAL]))
    await h.settle()
    h.clock.advance(seconds=600)
    await h.settle()
    town = aliyun.emulator.sends_to(PEOPLE["p-town"].mobile or "")
    assert len(town) == 2  # the order's step alone, the hazard's notice in its own text
    [order] = [t for t in town if t.params.get("code") == "示应急停〔2027〕5号"]
    [dept] = aliyun.emulator.sends_to(PEOPLE["p-dept"].mobile or "")
    for sent in (order, dept):
        assert {k: sent.params[k] for k in ("unit", "level", "code", "status", "ask")} == {
            "unit": "红星烟花爆竹有限公司",
            "level": "停产整顿",
            "code": "示应急停〔2027〕5号",
            "status": "复工复产申请已经乡镇（街道）审核同意",
            "ask": "请于3月16日前组织复工复产验收",
        }


def email_text(it: dict[str, Any]) -> str:
    context = {
        "person_name": "王某",
        "item": it,
        "link": LINK,
        "expires": "3月13日09:00",
        "subject": "提醒",
        "county": VOICE.county,
        "organisation": VOICE.organisation,
        "phone": VOICE.phone,
    }
    return render("email/notice", 2, "txt", **context) + render(
        "email/notice", 2, "html", **context
    )


def test_the_email_names_the_matter_not_a_hazard() -> None:
    """An order's step is no hazard and has no 整改期限 (its ask carries the date)."""
    step = resumption_step("suspension_reviewed", DEPT, R.DEPARTMENT_HEAD)
    mail = email_text(item(step, R.DEPARTMENT_HEAD))
    assert "事项：停产整顿复工复产：红星烟花爆竹有限公司" in mail
    assert "<th>事项</th>" in mail
    assert "隐患" not in mail and "整改期限" not in mail
    assert "请于3月16日前组织复工复产验收" in mail
    # A hazard's notice keeps both, as do items stored before the headings (a notice shown again).
    hazard = item(hazard_step(), R.ENTERPRISE_PRINCIPAL)
    for it in (hazard, {k: v for k, v in hazard.items() if not k.endswith("_heading")}):
        mail = email_text(it)
        assert "隐患描述：" in mail and "整改期限：" in mail and "<th>整改期限</th>" in mail
