"""Statistics-report reminders (escalation.report_due): one request per enterprise that is not
closed, told through the normal pipeline with its own SMS template and email."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from services.notification.intake.models import NotificationRequest, RequestKind
from services.notification.messages.render import Voice, sms_text, sms_variables
from services.notification.messages.reports import report_item, report_step
from shared.clock import TestClock
from shared.contract import (
    ChainRole,
    EnterpriseStatus,
    Envelope,
    PostRole,
    Producer,
    ReportDue,
    ReportKind,
    UnitKind,
    UnitUpserted,
)
from tests.notification.county import FIRM, PEOPLE, TOWN, org_events, person, post, step_fired
from tests.notification.mail import body
from tests.notification.settings import aliyun_config

PRINCIPAL = PEOPLE["p-firm"]
SAFETY_MANAGER = PEOPLE["p-firm-sm"]
OTHER, CLOSED = "u-firm-2", "u-firm-closed"
VOICE = Voice("示范县", "示范县安委办", "0571-88880000")


def report_due(clock: TestClock, **overrides: Any) -> Envelope:
    values: dict[str, Any] = {
        "reminder_id": "quarterly-2026Q1-7d",
        "kind": ReportKind.QUARTERLY,
        "year": 2026,
        "quarter": 1,
        "due_date": date(2026, 4, 15),
        "lead_days": 7,
        "target_roles": [ChainRole.ENTERPRISE_PRINCIPAL, ChainRole.ENTERPRISE_SAFETY_MANAGER],
        "remind_at": clock.now(),
    }
    values.update(overrides)
    return Envelope.of(
        ReportDue(**values),
        aggregate_id="quarterly-2026Q1",
        producer=Producer.ESCALATION,
        occurred_at=clock.now(),
    )


def more_enterprises() -> list[Any]:
    """A second operating enterprise, and a closed one (it reports nothing any more)."""

    def firm(unit_id: str, name: str, status: EnterpriseStatus) -> UnitUpserted:
        return UnitUpserted(
            unit_id=unit_id,
            kind=UnitKind.ENTERPRISE,
            name=name,
            area_code="330001",
            parent_id=TOWN,
            territorial_unit_id=TOWN,
            status=status,
        )

    return [
        firm(OTHER, "城关机械厂", EnterpriseStatus.OPERATING),
        firm(CLOSED, "已关闭砖厂", EnterpriseStatus.CLOSED),
        person("p-firm2", "厂长二", 21),
        person("p-closed", "厂长三", 22),
        post("p-firm2", OTHER, PostRole.PRINCIPAL, "厂长"),
        post("p-closed", CLOSED, PostRole.PRINCIPAL, "厂长"),
    ]


async def requests(h: Any) -> list[NotificationRequest]:
    async with h.runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(NotificationRequest).order_by(NotificationRequest.unit_id)
        )
        return list(rows.all())


async def test_each_enterprise_not_closed_is_reminded_once_alone_by_its_own_text(
    make_harness: Any, aliyun: Any, smtp: Any
) -> None:
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], digest_window_s=600)
    await h.org([*org_events(), *more_enterprises()])
    event = report_due(h.clock)
    await h.step(event)
    await h.step(event)  # redelivered: its requests are there already
    made = await requests(h)
    assert [(r.unit_id, r.kind, r.hazard_id) for r in made] == [
        (FIRM, RequestKind.REPORT, None),
        (OTHER, RequestKind.REPORT, None),
    ]
    # A hazard notice due for the same principal at the same time goes in its own text.
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL]))
    await h.settle()
    h.clock.advance(seconds=600)
    await h.settle()

    texts = aliyun.emulator.sends_to(PRINCIPAL.mobile or "")
    assert sorted(t.template for t in texts) == ["SMS_900003", "SMS_900005"]
    [report] = [t for t in texts if t.template == "SMS_900005"]
    assert report.params == {
        "county": "示范县",
        "unit": "示范建材有限公司",
        "period": "2026年第1季度",
        "due": "4月15日",
        "phone": "0571-88880000",
    }
    # The safety manager is reminded too; the other enterprise's principal of their own.
    [manager] = aliyun.emulator.sends_to(SAFETY_MANAGER.mobile or "")
    assert manager.template == "SMS_900005"
    [other] = aliyun.emulator.sends_to("13800000021")
    assert other.params["unit"] == "城关机械厂"
    assert aliyun.emulator.sends_to("13800000022") == []  # closed

    [mail] = [m for m in smtp.mailbox.to(PRINCIPAL.email or "") if "统计" in str(m["Subject"])]
    assert str(mail["Subject"]) == (
        "【示范县安委办】统计报送提醒：请于4月15日前报送示范建材有限公司2026年第1季度"
        "事故隐患排查治理情况统计"
    )
    text = body(mail, "plain")
    assert "请于4月15日前报送示范建材有限公司2026年第1季度事故隐患排查治理情况统计" in text
    assert "2026年4月15日" in text and "统计" in body(mail, "html")
    # Sent events name no hazard (the hazard timeline has nothing to show for them).
    sent = [e for e in await h.events() if e["request_event_id"] == made[0].event_id]
    assert sent and all(e["hazard_ids"] == [] for e in sent)

    # Redelivered a day later, nothing more goes.
    await h.step(event)
    h.clock.advance(timedelta(days=1))
    await h.settle()
    assert len(aliyun.emulator.sends_to(PRINCIPAL.mobile or "")) == 2


def item(unit_name: str = "示范建材有限公司", **overrides: Any) -> dict[str, Any]:
    payload = ReportDue(
        reminder_id="yearly-2026-7d",
        kind=overrides.pop("kind", ReportKind.YEARLY),
        year=2026,
        quarter=overrides.pop("quarter", None),
        due_date=overrides.pop("due_date", date(2027, 1, 31)),
        lead_days=7,
        target_roles=[ChainRole.ENTERPRISE_PRINCIPAL],
        remind_at="2027-01-22T01:00:00Z",
    )
    step = report_step(payload, unit_id=FIRM, unit_name=unit_name)
    return report_item(step, ChainRole.ENTERPRISE_PRINCIPAL.value, None)


def test_the_yearly_reminder_text() -> None:
    assert sms_text([item()], "", VOICE) == (
        "【示范县安委办】示范县安全生产提醒：请于1月31日前报送示范建材有限公司2026年度"
        "事故隐患排查治理情况统计（可在系统“统计”中导出）。咨询电话：0571-88880000"
    )


def test_a_long_enterprise_name_is_clipped_to_the_providers_limit() -> None:
    name = "示范县城关镇某某某某某某某某某某某某某某某某某某某某建材制品有限责任公司"
    key, variables = sms_variables([item(name)], "", VOICE)
    assert key == "report"
    assert len(variables["unit"]) == 35 and variables["unit"].endswith("…")
    assert name.startswith(variables["unit"][:-1])
