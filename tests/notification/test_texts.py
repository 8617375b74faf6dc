"""Texts that tell each person what to do (DOMAIN §9): the wording per duty, what every text
names, what no text says, and the providers' per-variable limits."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.notification.config import Settings
from services.notification.messages.duties import Duty, duty_of
from services.notification.messages.limits import PHONE_LIMIT, TEXT_LIMIT, limit_of
from services.notification.messages.render import (
    TEMPLATES_DIR,
    Voice,
    notice_item,
    sms_variables,
)
from shared.contract import (
    ChainRole,
    EscalationAction,
    HazardLevel,
    ListingLevel,
)
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import (
    DIGEST_PARAMS,
    NOTICE_PARAMS,
    REPORT_PARAMS,
    SECRET,
    aliyun_config,
)
from tests.notification.texts import NOW, VOICE, A, R, item, sms_text, step

ROOT = Path(__file__).resolve().parents[2]


IN_3_DAYS = NOW + timedelta(days=3)  # 3月9日


@pytest.mark.parametrize(
    ("action", "role", "facts", "status", "ask"),
    [
        # the rectifier fixes
        (A.OVERDUE_NOTICE, R.ENTERPRISE_PRINCIPAL, {}, "已逾期1天（整改期限3月5日）",
         "请立即完成整改并申请验收"),
        (A.REMINDER, R.ENTERPRISE_SAFETY_MANAGER, {"deadline": IN_3_DAYS}, "整改期限为3月9日",
         "请于3月9日前完成整改并申请验收"),
        (A.RECTIFICATION_ORDER, R.ENTERPRISE_PRINCIPAL, {"deadline": IN_3_DAYS},
         "已下达整改要求，整改期限为3月9日", "请于3月9日前完成整改并申请验收"),
        (A.LISTING_NOTICE, R.ENTERPRISE_PRINCIPAL,
         {"deadline": IN_3_DAYS, "listing_level": ListingLevel.COUNTY},
         "已列入县级挂牌督办，整改期限为3月9日", "请于3月9日前完成整改并申请验收"),
        # territorial and industry supervisors urge
        (A.REMINDER, R.TOWNSHIP_PRINCIPAL, {"deadline": IN_3_DAYS}, "整改期限为3月9日",
         "请督促企业于3月9日前完成整改"),
        (A.OVERDUE_NOTICE, R.DEPARTMENT_IN_CHARGE, {}, "已逾期1天（整改期限3月5日）",
         "请督促企业立即完成整改"),
        # 党政同责: a township's party secretary urges like its head
        (A.REMINDER, R.TOWNSHIP_PARTY_SECRETARY, {"deadline": IN_3_DAYS}, "整改期限为3月9日",
         "请督促企业于3月9日前完成整改"),
        # leaders are informed and urge
        (A.OVERDUE_NOTICE, R.COUNTY_PORTFOLIO_LEADER, {}, "已逾期1天（整改期限3月5日）",
         "请知悉，并督促有关单位立即完成整改"),
        (A.OVERDUE_NOTICE, R.COUNTY_PARTY_SECRETARY, {}, "已逾期1天（整改期限3月5日）",
         "请知悉，并督促有关单位立即完成整改"),
        # the verifier inspects
        (A.ACCEPTANCE_REMINDER, R.DEPARTMENT_HEAD,
         {"acceptance_due_at": IN_3_DAYS, "rectification_reported_at": NOW - timedelta(days=6)},
         "已于2月28日申请验收，验收期限为3月9日", "请于3月9日前组织验收"),
        (A.ACCEPTANCE_REMINDER, R.COUNTY_OFFICE,
         {"acceptance_due_at": NOW - timedelta(days=2)}, "已申请验收，验收已超期2天",
         "请立即组织验收"),
        # the supervising body classifies; the listing body publishes and delists
        (A.CLASSIFICATION_REMINDER, R.DEPARTMENT_HEAD,
         {"deadline": None, "level": None, "reported_at": NOW - timedelta(days=3)},
         "已于3月3日登记，尚未判定", "请尽快完成判定并提出整改要求"),
        (A.PUBLICATION_REMINDER, R.COUNTY_OFFICE, {"listed_at": NOW - timedelta(days=4)},
         "已于3月2日挂牌督办，尚未公布，已逾期1天（整改期限3月5日）", "请尽快公布挂牌督办"),
        (A.DELISTING_REMINDER, R.COUNTY_OFFICE, {"accepted_at": NOW - timedelta(days=4)},
         "已于3月2日验收通过，尚未摘牌销号", "请尽快摘牌销号并公布"),
        (A.EXTENSION_DECISION_REMINDER, R.COUNTY_OFFICE,
         {"deadline": IN_3_DAYS, "extension_requested_at": NOW - timedelta(days=9)},
         "已于2月25日申请延期，整改期限为3月9日", "请尽快作出延期审批决定"),
        # the county office decides what the system proposes
        (A.TASK, R.COUNTY_OFFICE, {"title": "逾期5个工作日：建议约谈企业主要负责人"},
         "已逾期1天（整改期限3月5日）", "建议研究是否约谈企业主要负责人，请研究决定"),
        (A.TASK, R.COUNTY_PRINCIPAL, {"title": "逾期5个工作日：建议提级挂牌，报县主要负责人"},
         "已逾期1天（整改期限3月5日）", "县安委办将研究是否提级挂牌，请知悉"),
        (A.TASK, R.COUNTY_PARTY_SECRETARY,
         {"title": "逾期5个工作日：建议提级挂牌，报县党政主要负责人"},
         "已逾期1天（整改期限3月5日）", "县安委办将研究是否提级挂牌，请知悉"),
        (A.REFER_DISCIPLINE, R.COUNTY_OFFICE, {}, "已逾期1天（整改期限3月5日）",
         "建议研究是否提请纪检监察机关处理，请研究决定"),
        (A.SUPERVISION_LETTER, R.ENTERPRISE_PRINCIPAL, {}, "已逾期1天（整改期限3月5日）",
         "请立即完成整改并申请验收"),
    ],
)  # fmt: skip
def test_each_person_is_told_their_own_duty(
    action: EscalationAction, role: ChainRole, facts: dict[str, Any], status: str, ask: str
) -> None:
    s = step(action, **facts)
    got = item(s, role)
    assert (got["status"], got["ask"]) == (status, ask)
    text = sms_text([got])
    assert f"，{ask}。" in text and status in text


def test_a_repeat_is_numbered() -> None:
    got = item(step(repeat_index=2), R.ENTERPRISE_PRINCIPAL)
    assert got["status"] == "已逾期1天（整改期限3月5日）（第3次提醒）"


def test_whoever_covers_a_vacant_post_is_asked_its_duty() -> None:
    s = step(A.ACCEPTANCE_REMINDER, acceptance_due_at=IN_3_DAYS)
    covering = notice_item(s, R.COUNTY_PORTFOLIO_LEADER.value, R.DEPARTMENT_HEAD.value, now=NOW)
    assert covering["ask"] == "请于3月9日前组织验收"
    assert item(s, R.COUNTY_PORTFOLIO_LEADER)["ask"] == "请知悉，并督促有关单位于3月9日前组织验收"


def test_the_duty_table_has_no_urging_for_the_doers() -> None:
    assert duty_of("overdue_notice", R.ENTERPRISE_PRINCIPAL) is Duty.RECTIFY
    assert duty_of("acceptance_reminder", R.DEPARTMENT_HEAD) is Duty.VERIFY
    assert duty_of("acceptance_reminder", R.ENTERPRISE_PRINCIPAL) is Duty.INFORM
    assert duty_of("publication_reminder", R.COUNTY_OFFICE) is Duty.PUBLISH
    assert duty_of("task", R.DEPARTMENT_HEAD) is Duty.INFORM
    assert duty_of("task", R.TOWNSHIP_PRINCIPAL) is Duty.INFORM
    assert duty_of("acceptance_reminder", R.TOWNSHIP_PRINCIPAL) is Duty.URGE
    assert duty_of("some_future_action", R.TOWNSHIP_IN_CHARGE) is Duty.URGE


# Words a text must never use of itself: a document that does not exist, a referral that a
# person decides, the old blanket request, and machine codes.
FORBIDDEN = re.compile(
    r"请督促落实|督办函：|通报：|移交纪检|已移交|enterprise\.|township\.|department\.|county[._]"
    r"|[a-z]{4,}"
)


@pytest.mark.parametrize("action", list(EscalationAction))
@pytest.mark.parametrize("role", list(ChainRole))
def test_every_text_names_county_unit_level_deadline_and_phone(
    action: EscalationAction, role: ChainRole
) -> None:
    s = step(action, listed_at=NOW, accepted_at=NOW, reported_at=NOW, title="建议约谈")
    got = item(s, role)
    assert got["action_label"] not in ("督办函", "通报", "移交纪检监察")
    text = sms_text([got])
    assert text.startswith("【示范县安委办】示范县")
    for needed in ("示范建材有限公司", "重大事故隐患", "YH-2026-0001", "0571-88880000"):
        assert needed in text, (needed, text)
    # the deadline, the days overdue, or the day the duty's own clock started
    assert re.search(r"\d+月\d+日|逾期\d+天", text), text
    assert FORBIDDEN.search(text.replace("https://ajb.example.gov.cn/a/tok", "")) is None, text


def test_the_digest_text_counts_overdue_and_upcoming_apart() -> None:
    overdue = item(step(), R.COUNTY_PORTFOLIO_LEADER)
    upcoming = item(
        step(A.REMINDER, deadline=IN_3_DAYS, hazard_id="h-2"), R.COUNTY_PORTFOLIO_LEADER
    )
    text = sms_text([overdue, upcoming, dict(overdue, code="YH-2", hazard_id="h-3")])
    assert "您有3项隐患事项需要办理，其中已逾期2项、即将到期1项" in text
    assert text.startswith("【示范县安委办】示范县") and "0571-88880000" in text


def test_a_digest_counts_as_due_soon_only_deadlines_within_seven_days() -> None:
    """即将到期 means what the portal's queue means: two deadlines a month and more away (a
    rectification order just issued) are neither overdue nor about to fall due."""
    leader = R.COUNTY_PORTFOLIO_LEADER
    overdue = item(step(), leader)
    soon = item(step(A.REMINDER, deadline=NOW + timedelta(days=7), hazard_id="h-2"), leader)
    far = [
        item(
            step(A.RECTIFICATION_ORDER, deadline=NOW + timedelta(days=d), hazard_id=f"h-{d}"),
            leader,
        )
        for d in (8, 75)
    ]
    assert (soon["due_soon"], far[0]["due_soon"], overdue["due_soon"]) == (True, False, False)
    text = sms_text([overdue, soon, *far])
    assert "您有4项隐患事项需要办理，其中已逾期1项、即将到期1项" in text, text


def test_a_digest_counts_a_hazard_once_however_many_of_its_steps_it_carries() -> None:
    """Its reminder and its first overdue day due together: one hazard, told as overdue."""
    reminder = item(step(A.REMINDER, deadline=IN_3_DAYS), R.COUNTY_PORTFOLIO_LEADER)
    overdue = item(step(), R.COUNTY_PORTFOLIO_LEADER)
    other = item(step(hazard_id="h-2", code="YH-2026-0002"), R.COUNTY_PORTFOLIO_LEADER)
    text = sms_text([reminder, overdue, other])
    assert "您有2项隐患事项需要办理，其中已逾期2项、即将到期0项" in text, text
    assert sms_text([reminder, overdue]) == sms_text([overdue]), "one hazard: its latest step"


def test_variables_stay_within_the_providers_limits_worst_case() -> None:
    """Aliyun: 35 characters a variable (phone type 15); Tencent (organisation account): no
    per-variable limit. The longest inputs a county can give are clipped with an ellipsis."""
    long_name = "某某省某某市某某县某某镇某某村" + "某某化工新材料科技股份有限公司第二分公司" * 3
    voice = Voice("某" * 35, "某县安委办", "0571-88880000-1"[:15])
    s = step(
        A.EXTENSION_DECISION_REMINDER,
        unit_name=long_name,
        code="YH-" + "9" * 80,
        repeat_index=120,
        extension_requested_at=NOW - timedelta(days=300),
    )
    items = [notice_item(s, role.value, None, now=NOW) for role in ChainRole]
    for batch in ([items[0]], items):
        key, variables = sms_variables(batch, "https://ajb.example.gov.cn/a/x", voice)
        for name, value in variables.items():
            limit = limit_of(name)
            assert limit is None or len(value) <= limit, (key, name, value)
    _, variables = sms_variables([items[0]], "", voice)
    assert variables["unit"].endswith("…") and len(variables["unit"]) == TEXT_LIMIT
    assert len(variables["code"]) == TEXT_LIMIT
    assert len(variables["phone"]) <= PHONE_LIMIT


ENTRY = r'"(notice|digest|report)": \{"code":\s*"\w+",\s*"params":\s*\[([^\]]*)\]'


def _placeholders(name: str) -> set[str]:
    text = (TEMPLATES_DIR / "sms" / f"{name}.v2.txt.j2").read_text(encoding="utf-8")
    return set(re.findall(r"\{\{\s*(\w+)\s*\}\}", text)) - {"sign"}


def test_provider_templates_readme_and_texts_name_the_same_variables() -> None:
    """The README's provider entry, the tests' provider mapping and the v2 texts agree, and
    every variable a template needs is one the service fills."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("A provider entry:") :].split("\n\n", 1)[0]
    documented = {
        key: re.findall(r'"(\w+)"', params) for key, params in re.findall(ENTRY, paragraph)
    }
    assert documented == {
        "notice": NOTICE_PARAMS,
        "digest": DIGEST_PARAMS,
        "report": REPORT_PARAMS,
    }
    assert _placeholders("notice") == set(NOTICE_PARAMS)
    assert _placeholders("digest") == set(DIGEST_PARAMS)
    assert _placeholders("report") == set(REPORT_PARAMS)
    one = item(step(), R.ENTERPRISE_PRINCIPAL)
    assert set(NOTICE_PARAMS) <= set(sms_variables([one], "l", VOICE)[1])
    two = item(step(hazard_id="h-2"), R.ENTERPRISE_PRINCIPAL)
    assert set(DIGEST_PARAMS) <= set(sms_variables([one, two], "l", VOICE)[1])


def test_the_signature_is_the_sending_organisation_unless_a_provider_has_its_own() -> None:
    settings = Settings(
        env="test",
        secret_key=SECRET,
        sender_organisation="某县安委办",
        sms_providers=[
            {"name": "a", "kind": "console"},
            {"name": "b", "kind": "console", "sign_name": "某县应急管理局"},
        ],
    )
    assert [p.sign_name for p in settings.sms_providers] == ["某县安委办", "某县应急管理局"]
    with pytest.raises(ValidationError):
        Settings(env="test", secret_key=SECRET, contact_phone="call 110")


async def test_one_step_tells_each_person_in_the_chain_their_own_duty(make_harness, aliyun):
    """Through the service: one overdue notice to the chain; the provider's emulator checks
    that the signature is the organisation's (no sign_name of the provider's own)."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url, sign_name="")],
        default_channels=["sms"],
        digest_window_s=0,
    )
    await h.org(org_events())
    roles = [R.ENTERPRISE_PRINCIPAL, R.TOWNSHIP_PRINCIPAL, R.COUNTY_PORTFOLIO_LEADER]
    await h.step(step_fired(h.clock, roles=roles, level=HazardLevel.MAJOR))
    await h.settle()
    asks = {}
    for pid in ("p-firm", "p-town", "p-portfolio"):
        [sms] = aliyun.emulator.sends_to(PEOPLE[pid].mobile or "")
        assert sms.params["county"] == "示范县" and sms.params["phone"] == "0571-88880000"
        assert sms.params["level"] == "重大事故隐患"
        assert sms.params["status"] == "已逾期1天（整改期限3月5日）"
        asks[pid] = sms.params["ask"]
    assert asks == {
        "p-firm": "请立即完成整改并申请验收",
        "p-town": "请督促企业立即完成整改",
        "p-portfolio": "请知悉，并督促有关单位立即完成整改",
    }
