"""An issued 督办函 told to the chain (#14): the text cites its 文号 and says what each person
must do; nobody is asked to decide on a 督办函 any more, the county office already issued it."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notification.delivery.bundle import dispatch_groups, stands_alone
from services.notification.intake.models import Notice
from services.notification.messages.limits import TEXT_LIMIT
from services.notification.messages.render import Voice, notice_item, sms_variables
from services.notification.messages.render import sms_text as render_sms
from shared.contract import (
    ChainRole,
    DocumentRef,
    DocumentType,
    EscalationAction,
    HazardFacts,
    HazardLevel,
    HazardStatus,
    StepFired,
    Urgency,
)

NOW = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)
VOICE = Voice("演示县", "演示县安委办", "0736-88880000")
DOC_NO = "演示县安委督〔2026〕12号"


def issued_letter() -> StepFired:
    return StepFired(
        case_id="case-1",
        hazard_id="h-1",
        policy_id="county-major",
        policy_version=1,
        step_key="document_issued",
        step_index=0,
        action=EscalationAction.DOCUMENT_ISSUED,
        urgency=Urgency.NORMAL,
        target_roles=[ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.TOWNSHIP_PRINCIPAL],
        due_at=NOW,
        fired_at=NOW,
        facts=HazardFacts(
            hazard_id="h-1",
            code="YH20260306-0001",
            status=HazardStatus.RECTIFYING,
            level=HazardLevel.MAJOR,
            unit_id="ent-tongda",
            unit_name="通达路桥工程有限公司",
            area_code="430723",
            description="高墩施工危大工程未编制专项施工方案",
            deadline_at=datetime(2026, 3, 13, 15, 59, 59, tzinfo=UTC),
        ),
        step_title="演示县安全生产委员会印发督办函",
        document=DocumentRef(
            document_id="d-1",
            doc_type=DocumentType.SUPERVISION_LETTER,
            doc_no=DOC_NO,
            title="关于督促通达路桥工程有限公司事故隐患整改的督办函",
            issuing_body="演示县安全生产委员会",
            url="/documents/d-1/pdf",
        ),
    )


def test_the_texts_cite_the_document_number_and_each_duty() -> None:
    step = issued_letter()
    firm = notice_item(step, ChainRole.ENTERPRISE_PRINCIPAL, None, now=NOW)
    township = notice_item(step, ChainRole.TOWNSHIP_PRINCIPAL, None, now=NOW)
    office = notice_item(step, ChainRole.COUNTY_OFFICE, None, now=NOW)
    assert firm["action_label"] == "督办函" and firm["document_no"] == DOC_NO
    assert firm["document_url"] == "/documents/d-1/pdf"
    assert firm["status"] == f"已印发督办函（{DOC_NO}）"
    assert firm["ask"] == "请立即完成整改并申请验收"
    assert township["ask"].startswith("请督促企业")
    assert "研究" not in office["ask"]  # issued: nothing left to decide
    text = render_sms([firm], "https://ajb.example.gov.cn/a/tok", VOICE)
    assert DOC_NO in text and "督办函" in text
    _, variables = sms_variables([firm], "https://x/a/t", VOICE)
    assert variables["status"] == firm["status"] and len(variables["status"]) <= TEXT_LIMIT


def test_an_issued_document_is_never_buried_in_a_digest() -> None:
    """A digest counts hazards 已逾期/即将到期; a document's notice must say its 文号, so it goes
    alone even when the same person has other notices due at the same moment."""
    steps = {
        "overdue": {"action": "overdue_notice"},
        "letter": issued_letter().model_dump(mode="json"),
        "campaign": {"campaign": {"campaign_id": "c-1"}},
        "report": {"report_due": {"kind": "quarterly"}},
    }
    assert [stands_alone(s) for s in steps.values()] == [False, True, True, True]
    notices = [
        Notice(request_id=r, urgency=Urgency.NORMAL)
        for r in ("overdue", "letter", "campaign", "report", "soon")
    ]
    alone = frozenset(r for r, s in steps.items() if stands_alone(s))
    groups = [[n.request_id for n in g] for g in dispatch_groups(notices, alone)]
    assert groups == [["letter"], ["campaign"], ["report"], ["overdue", "soon"]]
