"""An enterprise's principal is reminded of its quarterly statistics report, once, through the
real chain: escalation's reminder loop → broker → notification → the Aliyun SMS emulator, the
three services as separate processes (`duban run`) with time moved through the offset file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.clock import SHANGHAI
from tests.e2e.harness import eventually
from tests.e2e.readable import sms_text
from tests.e2e.world import World, embedded_world
from tests.notification import emulators
from tests.notification.emulator_records import Accepted

PRINCIPAL = "13800001001"  # 张红星, 总经理 of 红星烟花爆竹有限公司 (the demo county)
REPORT_TEMPLATE = "SMS_900005"
# Wednesday 8 April 2026, 09:00 in Shanghai: the 7-day reminder of the first quarter's report
# (due 15 April).
REMIND_AT = datetime(2026, 4, 8, 9, 0, tzinfo=SHANGHAI)


async def _settle() -> None:
    """A few rounds of every service's loops (they poll at most 0.2 s apart on this clock)."""
    marker = datetime.now(UTC)
    await eventually(lambda: (datetime.now(UTC) - marker).total_seconds() > 3, "a few rounds")


def report_texts(w: World, phone: str) -> list[Accepted]:
    return [a for a in w.sms.sends_to(phone) if a.template == REPORT_TEMPLATE]


async def test_a_principal_receives_the_quarterly_report_reminder_once(tmp_path: Path) -> None:
    async with embedded_world(tmp_path) as w:
        office = await w.as_("office")

        async def directory_known() -> bool:
            r = await w.client.get(
                w.stack.url("notification") + "/preferences/p-hongxing-1", headers=office
            )
            return r.status_code == 200

        await eventually(directory_known, "notification to have the demo directory")
        assert report_texts(w, PRINCIPAL) == []

        # The reminder's time comes: escalation emits it, notification holds it for the
        # person's digest window (10 minutes), then texts it.
        w.clock.set(REMIND_AT.astimezone(UTC))
        await _settle()
        w.clock.advance(timedelta(minutes=11))

        async def texted() -> bool:
            if report_texts(w, PRINCIPAL):
                return True
            # Not yet: the services may still have been at an earlier step of the chain when
            # the window passed; let a few rounds run, then move past another window.
            await _settle()
            if not report_texts(w, PRINCIPAL):
                w.clock.advance(timedelta(minutes=11))
            return False

        await eventually(texted, "the reminder's text", within_s=90)
        [text] = report_texts(w, PRINCIPAL)
        assert sms_text(text.template, text.params, emulators.SIGN_NAME) == (
            f"【{emulators.SIGN_NAME}】{text.params['county']}安全生产提醒：请于4月15日前报送"
            "红星烟花爆竹有限公司"
            "2026年第1季度事故隐患排查治理情况统计（可在系统“统计”中导出）。咨询电话："
            + text.params["phone"]
        )
        # Later the same day: nothing more about it (the 2-day reminder is on 13 April).
        w.clock.advance(timedelta(hours=3))
        await _settle()
        assert len(report_texts(w, PRINCIPAL)) == 1
        # The safety manager too, by the same template.
        assert len(report_texts(w, "13800001002")) == 1
