"""Digests, quiet hours and who is told: resolved at send time, vacancies fall through."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.notification.preferences.service import Prefs, Window, release_time
from shared.contract import ChainRole, Channel, HazardLevel, PostRole, Urgency
from tests.notification.county import COUNTY, FIRM, PEOPLE, TOWN, org_events, post, step_fired
from tests.notification.mail import body
from tests.notification.settings import aliyun_config

LEADER = PEOPLE["p-portfolio"]


async def _forty_overdue(h: Any, aliyun: Any, smtp: Any, **step_kw: Any) -> None:
    """Forty overdue notices for one leader, five seconds apart, make one text and one
    email once the window closes, none before; the digest counts 已逾期 and 即将到期."""
    await h.org(org_events())
    for n in range(1, 41):
        await h.step(
            step_fired(h.clock, roles=[ChainRole.COUNTY_PORTFOLIO_LEADER], hazard_n=n, **step_kw)
        )
        h.clock.advance(seconds=5)
        await h.settle()  # the scheduler runs between arrivals; the window holds them
    assert aliyun.emulator.sends_to(LEADER.mobile or "") == []
    assert smtp.mailbox.to(LEADER.email or "") == []
    h.clock.advance(seconds=600)
    await h.settle()

    [sms] = aliyun.emulator.sends_to(LEADER.mobile or "")
    assert sms.template == "SMS_900004"
    assert sms.params["count"] == "40"
    assert (sms.params["overdue"], sms.params["upcoming"]) == ("40", "0")
    assert sms.params["county"] == "示范县"
    assert sms.params["link"].startswith("http://duban.test/a/")
    [mail] = smtp.mailbox.to(LEADER.email or "")
    assert "40项隐患" in str(mail["Subject"])
    assert "已逾期40项、即将到期0项" in str(mail["Subject"])
    text = body(mail, "plain")
    html = body(mail, "html")
    assert "已逾期（40项）" in text and "即将到期（" not in text
    for n in (1, 17, 40):
        assert f"YH-2026-{n:04d}" in text and f"YH-2026-{n:04d}" in html
    # Each of the 40 requests learns that it was sent, on both channels.
    sent = [e for e in await h.events() if e["person_id"] == LEADER.person_id]
    assert len({e["request_event_id"] for e in sent}) == 40
    assert {(e["channel"], e["status"]) for e in sent} == {("sms", "sent"), ("email", "sent")}


async def test_steps_of_one_hazard_due_together_are_told_once(make_harness, aliyun, smtp):
    """The timers catching up (an outage of escalation) fire a hazard's reminder, its
    deadline and its first overdue day within one digest window: the leader reads of that
    hazard once, beside the other one, while escalation still hears of every request."""
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], digest_window_s=600)
    await h.org(org_events())
    roles = [ChainRole.COUNTY_PORTFOLIO_LEADER]
    for index, key in enumerate(("before", "deadline", "overdue")):
        await h.step(step_fired(h.clock, roles=roles, step_key=key, step_index=index))
    await h.step(step_fired(h.clock, roles=roles, hazard_n=2))
    await h.settle()
    h.clock.advance(seconds=600)
    await h.settle()

    [sms] = aliyun.emulator.sends_to(LEADER.mobile or "")
    assert (sms.params["count"], sms.params["overdue"]) == ("2", "2"), sms.params
    [mail] = smtp.mailbox.to(LEADER.email or "")
    assert "您有2项隐患事项" in str(mail["Subject"])
    text = body(mail, "plain")
    assert text.count("YH-2026-0001") == 1 and text.count("YH-2026-0002") == 1, text
    sent = [e for e in await h.events() if e["person_id"] == LEADER.person_id]
    assert len({e["request_event_id"] for e in sent}) == 4


async def test_one_hazard_told_thrice_at_once_is_a_single_notice(make_harness, aliyun, smtp):
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], digest_window_s=600)
    await h.org(org_events())
    roles = [ChainRole.COUNTY_PORTFOLIO_LEADER]
    for index, key in enumerate(("before", "deadline", "overdue")):
        await h.step(step_fired(h.clock, roles=roles, step_key=key, step_index=index))
    await h.settle()
    h.clock.advance(seconds=600)
    await h.settle()

    [sms] = aliyun.emulator.sends_to(LEADER.mobile or "")
    assert sms.template == "SMS_900003" and sms.params["code"] == "YH-2026-0001", sms
    [mail] = smtp.mailbox.to(LEADER.email or "")
    assert "您有" not in str(mail["Subject"]) and "YH-2026-0001" in str(mail["Subject"])


async def test_forty_overdue_hazards_make_one_sms_and_one_email(make_harness, aliyun, smtp):
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], digest_window_s=600)
    await _forty_overdue(h, aliyun, smtp)


async def test_forty_major_hazards_overdue_urgently_make_one_sms_and_one_email(
    make_harness, aliyun, smtp
):
    """Build 5: urgent notices digest too (within the urgent window, 10 minutes by default)."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], digest_window_s=3600, urgent_window_s=600
    )
    await _forty_overdue(h, aliyun, smtp, urgency=Urgency.URGENT, level=HazardLevel.MAJOR)


async def test_at_02h_immediate_goes_at_once_alone_urgent_waits_for_08h(make_harness, aliyun):
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], digest_window_s=600
    )
    h.clock.set(datetime(2026, 3, 5, 18, 0, tzinfo=UTC))  # 02:00 in Shanghai
    await h.org(org_events())
    town = PEOPLE["p-town"].mobile or ""
    await h.step(step_fired(h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], hazard_n=1))
    await h.step(
        step_fired(
            h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], hazard_n=2, urgency=Urgency.URGENT
        )
    )
    await h.step(
        step_fired(
            h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], hazard_n=3, urgency=Urgency.IMMEDIATE
        )
    )
    await h.settle()
    [at_night] = aliyun.emulator.sends_to(town)  # immediate: at once, at night, alone
    assert at_night.template == "SMS_900003"
    assert at_night.params["code"] == "YH-2026-0003"

    h.clock.set(datetime(2026, 3, 5, 23, 59, tzinfo=UTC))  # 07:59
    await h.settle()
    assert len(aliyun.emulator.sends_to(town)) == 1  # urgent is not "at night"
    h.clock.set(datetime(2026, 3, 6, 0, 0, tzinfo=UTC))  # 08:00
    await h.settle()
    [_, morning] = aliyun.emulator.sends_to(town)
    assert morning.template == "SMS_900004"  # urgent and normal together, one text
    assert morning.params["count"] == "2"


async def test_an_immediate_notice_is_never_merged_into_a_digest(make_harness, aliyun):
    """By day, with nothing held back: the routine and the urgent notice go together, the
    immediate one on its own text."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], digest_window_s=0
    )
    await h.org(org_events())
    for n, urgency in ((1, Urgency.NORMAL), (2, Urgency.IMMEDIATE), (3, Urgency.URGENT)):
        await h.step(
            step_fired(h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], hazard_n=n, urgency=urgency)
        )
    await h.settle()
    texts = aliyun.emulator.sends_to(PEOPLE["p-town"].mobile or "")
    alone = [t for t in texts if t.template == "SMS_900003"]
    digests = [t for t in texts if t.template == "SMS_900004"]
    assert [t.params["code"] for t in alone] == ["YH-2026-0002"]
    assert [t.params["count"] for t in digests] == ["2"]


async def test_non_urgent_at_23h_waits_until_08h(make_harness, aliyun):
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], digest_window_s=600
    )
    h.clock.set(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], hazard_n=1))
    await h.settle()
    firm = PEOPLE["p-firm"].mobile or ""
    assert aliyun.emulator.sends_to(firm) == []

    h.clock.set(datetime(2026, 3, 6, 23, 59, tzinfo=UTC))  # 07:59
    await h.settle()
    assert aliyun.emulator.sends_to(firm) == []
    h.clock.set(datetime(2026, 3, 7, 0, 0, tzinfo=UTC))  # 08:00
    await h.settle()
    assert len(aliyun.emulator.sends_to(firm)) == 1


async def test_personal_quiet_hours_and_channels_are_respected(make_harness, aliyun, smtp):
    h = await make_harness(sms_providers=[aliyun_config(aliyun.url)], digest_window_s=0)
    await h.org(org_events())
    from httpx import ASGITransport, AsyncClient

    from services.notification.main import create_app

    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime
    async with AsyncClient(
        transport=ASGITransport(app=app),
        base_url="http://t",
        headers=h.bearer("leader", person_id="p-firm"),
    ) as client:
        bad = await client.put(
            "/preferences/p-firm",
            json={"channels": ["sms"], "quiet_start": "12:00", "digest_window_s": 0},
        )
        assert bad.status_code == 422
        assert (await client.get("/preferences/nobody")).status_code == 403  # not their own
        office = h.bearer()
        assert (await client.get("/preferences/nobody", headers=office)).status_code == 404
        ok = await client.put(
            "/preferences/p-firm",
            json={
                "channels": ["email"],
                "quiet_start": "08:30",
                "quiet_end": "10:00",
                "digest_window_s": 0,
            },
        )
        assert ok.status_code == 200, ok.text
        got = (await client.get("/preferences/p-firm")).json()
        assert got["channels"] == ["email"] and got["is_default"] is False
    # 09:00 in Shanghai: inside this person's own quiet hours (08:30–10:00).
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL]))
    await h.settle()
    assert smtp.mailbox.to(PEOPLE["p-firm"].email or "") == []
    h.clock.advance(hours=1)
    await h.settle()
    assert len(smtp.mailbox.to(PEOPLE["p-firm"].email or "")) == 1
    assert aliyun.emulator.sends_to(PEOPLE["p-firm"].mobile or "") == []


async def test_a_vacant_post_falls_through_to_the_next_holder(make_harness, aliyun):
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], digest_window_s=0
    )
    await h.org(org_events())
    await h.org([post(None, FIRM, PostRole.SAFETY_MANAGER, "安全员")])  # vacant
    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_SAFETY_MANAGER]))
    await h.settle()
    assert aliyun.emulator.sends_to(PEOPLE["p-firm-sm"].mobile or "") == []
    assert len(aliyun.emulator.sends_to(PEOPLE["p-firm"].mobile or "")) == 1
    [event] = await h.events()
    assert (event["person_id"], event["chain_role"]) == ("p-firm", "enterprise.principal")


async def test_roles_are_resolved_again_at_send_time(make_harness, aliyun):
    """The county safety leader changed overnight: the new one is texted in the morning."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], digest_window_s=600
    )
    h.clock.set(datetime(2026, 3, 6, 14, 0, tzinfo=UTC))  # 22:00
    await h.org(org_events())
    await h.step(step_fired(h.clock, roles=[ChainRole.COUNTY_SAFETY_LEADER]))
    await h.settle()
    # Overnight the post changes hands.
    await h.org([post("p-office", COUNTY, PostRole.DEPUTY_SAFETY, "常务副县长")])
    h.clock.set(datetime(2026, 3, 7, 0, 0, tzinfo=UTC))  # 08:00
    await h.settle()
    assert aliyun.emulator.sends_to(PEOPLE["p-safety"].mobile or "") == []
    assert len(aliyun.emulator.sends_to(PEOPLE["p-office"].mobile or "")) == 1


async def test_a_role_nobody_holds_is_retried_then_alerted(make_harness, aliyun):
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)],
        unresolved_retry_s=60,
        unresolved_give_up_s=3600,
    )
    # No directory yet (the read model is still replaying): nobody to resolve.
    await h.step(
        step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], urgency=Urgency.URGENT)
    )
    await h.settle()
    await h.org(org_events())
    h.clock.advance(seconds=61)
    await h.settle()
    assert len(aliyun.emulator.sends_to(PEOPLE["p-firm"].mobile or "")) == 1

    await h.step(step_fired(h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], unit_id="u-unknown"))
    h.clock.advance(timedelta(hours=2))
    await h.settle()
    [alert] = await h.events("notification.alert")
    assert alert["kind"] == "unresolvable"
    assert alert["detail"] == "无人承担以下职责：企业主要负责人"


# ------------------------------------------------------------------ release times, one rule each
MORNING = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
NIGHT = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)  # 02:00 in Shanghai
EIGHT = datetime(2026, 3, 6, 0, 0, tzinfo=UTC)  # 08:00, the end of the default quiet hours


def _release(now: datetime, urgency: Urgency, window: Window | None = None) -> datetime:
    prefs = Prefs(
        channels=(Channel.SMS,), quiet_start=time(21), quiet_end=time(8), digest_window_s=3600
    )
    return release_time(now, urgency=urgency, prefs=prefs, window=window, urgent_window_s=600)


def test_an_urgent_notice_waits_the_short_window_not_the_digest_window() -> None:
    ten = timedelta(minutes=10)
    assert _release(MORNING, Urgency.URGENT) == MORNING + ten
    assert _release(MORNING, Urgency.NORMAL) == MORNING + timedelta(hours=1)
    # It joins what the person has waiting that goes sooner, never what goes later.
    soon = MORNING + timedelta(minutes=4)
    assert _release(MORNING, Urgency.URGENT, Window(soon, soon)) == soon
    later = MORNING + timedelta(minutes=50)
    assert _release(MORNING, Urgency.URGENT, Window(later, later)) == MORNING + ten
    # A routine notice joins the person's open window, whatever opened it.
    assert _release(MORNING, Urgency.NORMAL, Window(soon, later)) == later


def test_at_night_only_immediate_goes_at_once() -> None:
    assert _release(NIGHT, Urgency.IMMEDIATE) == NIGHT
    assert _release(NIGHT, Urgency.URGENT) == EIGHT
    assert _release(NIGHT, Urgency.NORMAL) == EIGHT


async def test_an_acting_holder_from_the_morning_gets_the_notice_held_overnight(
    make_harness, aliyun
):
    """Who holds a post is read when the notice goes out: a step fired at 23:00 resolves to the
    township head, but the deputy stands in for him from the next day, when it is sent."""
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], digest_window_s=600
    )
    h.clock.set(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # 23:00 on 6 March in Shanghai
    acting_from_the_7th = post(
        "p-town",
        TOWN,
        PostRole.PRINCIPAL,
        "镇长",
        acting_person_id="p-town-in",
        acting_from=date(2026, 3, 7),
        acting_until=date(2026, 3, 13),
    )
    await h.org([*org_events(), acting_from_the_7th])
    await h.step(step_fired(h.clock, roles=[ChainRole.TOWNSHIP_PRINCIPAL], hazard_n=1))
    await h.settle()
    head, deputy = PEOPLE["p-town"].mobile or "", PEOPLE["p-town-in"].mobile or ""
    assert aliyun.emulator.sends_to(head) == aliyun.emulator.sends_to(deputy) == []

    h.clock.set(datetime(2026, 3, 7, 0, 0, tzinfo=UTC))  # 08:00 on the 7th
    await h.settle()
    assert aliyun.emulator.sends_to(head) == []
    assert len(aliyun.emulator.sends_to(deputy)) == 1
    sent = [e for e in await h.events() if e["status"] == "sent"]
    assert [(e["person_id"], e["chain_role"]) for e in sent] == [
        ("p-town-in", "township.principal")
    ]
