"""督办看板, 通知记录 and 升级策略 in Debian's Chromium on a phone and on a desktop: the unsigned
leader marked on the board, 签收 with the htmx button reaching notification and clearing the
mark, the enterprise kept off the board; screenshots kept, no console error, a CJK font."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from shared.clock import TestClock
from tests.portal.browser import VIEWPORTS, cjk_font, journey, screenshots
from tests.portal.conftest import Api
from tests.portal.supervision import (  # noqa: F401  (fixtures)
    Supervision,
    escalation_app,
    full_portal,
    notification_app,
    supervision,
)
from tests.portal.test_supervision import api_notices, told

try:
    from playwright.async_api import Page
except ImportError:  # test_journey_browser already skipped (or failed in CI) for this
    pytest.skip("playwright not installed", allow_module_level=True)


@pytest.fixture
def db_kind() -> str:
    # The pages keep no data; the services' database paths have their own tests on both kinds.
    return "sqlite"


async def chinese(page: Page) -> None:
    families = await cjk_font(page)
    assert any("CJK" in f for f in families), (page.url, families)


@pytest.mark.parametrize("device", list(VIEWPORTS))
async def test_the_supervision_pages_in_chromium(
    device: str,
    app: FastAPI,
    api: Api,
    supervision: Supervision,  # noqa: F811
    clock: TestClock,
    chromium_path: str,
    tmp_path: Path,
) -> None:
    h, leader_notice, firm_notice = await told(api, supervision)
    shots = screenshots(tmp_path, f"supervision-{device}")
    async with (
        full_portal(app, supervision.escalation, supervision.notification, clock) as portal,
        journey(portal, api, device, chromium_path, shots) as j,
    ):
        base = j.base
        office = await j.page_as("office", "county_office", "dep-yingji")
        await office.goto(f"{base}/board")
        row = office.locator(f"tr[data-id='{h['id']}']")
        assert await row.get_attribute("class") == "leader-unacked"
        assert "陈卫东" in await row.locator("li.unacked.leader").inner_text()
        assert "领导未签收" in await row.inner_text()
        assert "1 位领导尚未签收" in await office.inner_text("#unacked-summary")
        await chinese(office)
        await j.shot(office, "board")
        await office.goto(f"{base}/policies?hazard={h['code']}")
        assert await office.locator("#timeline li").count() > 3
        assert await office.locator("section.policy").count() >= 2
        await chinese(office)
        await j.shot(office, "policies")
        await office.goto(f"{base}/notices?hazard={h['code']}")
        assert await office.locator("tr.notice-row").count() == 2
        await chinese(office)
        await j.shot(office, "notices-per-hazard")

        # The enterprise: only its own notice, signed with the button (htmx swaps the row).
        ent = await j.page_as("hongxing", "enterprise", "ent-hongxing")
        await ent.goto(f"{base}/notices")
        assert await ent.locator("tr.notice-row").count() == 1
        await chinese(ent)
        await j.shot(ent, "notices-mine")
        await ent.locator(f"tr[data-dispatch='{firm_notice}'] button").click()
        await ent.locator(f"tr[data-dispatch='{firm_notice}'] .acked").wait_for()
        assert ent.url == f"{base}/notices"  # swapped in place, no navigation
        await j.shot(ent, "notices-signed")
        acked = await api_notices(supervision, api, h["id"])
        assert acked["p-hongxing-2"]["acknowledged_via"] == "portal"
        refused = await ent.goto(f"{base}/board")
        assert refused is not None and refused.status == 403
        assert "仅供县安委办和县领导使用" in await ent.inner_text("main")
        assert await ent.locator("header nav a[href='/board']").count() == 0
        await j.shot(ent, "board-refused")

        # The leader signs in 通知记录: the board marks nobody any more.
        leader = await j.page_as("fuxianzhang", "leader", "county")
        await leader.goto(f"{base}/notices")
        await leader.locator(f"tr[data-dispatch='{leader_notice}'] button").click()
        await leader.locator(f"tr[data-dispatch='{leader_notice}'] .acked").wait_for()
        await j.shot(leader, "leader-signed")
        assert (await api_notices(supervision, api, h["id"]))["p-chenweidong"]["acknowledged_at"]
        await office.goto(f"{base}/board")
        assert await office.locator("tr.leader-unacked").count() == 0
        assert "已签收" in await office.locator(f"tr[data-id='{h['id']}']").inner_text()
        await j.shot(office, "board-all-signed")
    # The browser reports the refused page's 403 itself; nothing else may be logged.
    refusal = f"{base}/board: Failed to load resource: the server responded with a status of 403"
    assert [e for e in j.errors if not e.startswith(refusal)] == [] and len(j.errors) == 1
    assert len(list(shots.glob("*.png"))) == 8
