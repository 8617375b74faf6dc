"""A campaign in Chromium on a phone and a desktop: industries by name, the enterprise under
an open 停产整顿 order shown as 停产整顿中 with its 文号 and no 复工复产验收 link, the others
accepted from the page; a township's page offers nothing to decide. No console error."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from shared.clock import TestClock
from tests.hazard_api.lifecycle.test_campaign import CAMPAIGN
from tests.hazard_api.lifecycle.test_campaign_orders import ORDER
from tests.portal.browser import VIEWPORTS, journey, screenshots
from tests.portal.conftest import Api, portal_over
from tests.portal.test_accident_browser import fill_checklist

try:
    import playwright  # noqa: F401
except ImportError:  # pragma: no cover - test_journey_browser skips or fails first
    pytest.skip("playwright not installed", allow_module_level=True)


@pytest.fixture
def db_kind() -> str:
    # The pages keep no data; the database paths are covered by the HTTP tests on both kinds.
    return "sqlite"


@pytest.mark.parametrize("device", list(VIEWPORTS))
async def test_a_campaign_page_offers_acceptance_only_where_allowed(
    device: str, app: FastAPI, api: Api, clock: TestClock, chromium_path: str, tmp_path: Path
) -> None:
    o = api.as_("office")
    assert (await o.post("/suspensions", ORDER)).status_code == 201
    cid = (await o.post("/campaigns", CAMPAIGN)).json()["id"]
    shots = screenshots(tmp_path, f"campaign-{device}")
    async with (
        portal_over(clock, hazard_api=app) as portal,
        journey(portal, api, device, chromium_path, shots) as j,
    ):
        office = await j.page_as("office", "county_office", "dep-yingji")
        await office.goto(f"{j.base}/campaigns/{cid}")
        assert "C26 化学原料和化学制品制造业" in await office.inner_text("#industries")
        shifeng = office.locator("#entries tr[data-id='ent-shifeng']")
        assert "停产整顿中（演应急停〔2027〕5号）" in await shifeng.inner_text()
        assert await shifeng.locator("a").count() == 0
        hongxing = office.locator("#entries tr[data-id='ent-hongxing']")
        assert "C2672 焰火、鞭炮产品制造" in await hongxing.inner_text()
        await j.shot(office, "campaign")
        await hongxing.locator("a", has_text="复工复产验收").click()
        await office.wait_for_load_state()
        await fill_checklist(office, j, "campaign-acceptance")
        await office.goto(f"{j.base}/campaigns/{cid}")
        assert await office.inner_text("#accepted") == "1"
        assert await hongxing.locator("a").count() == 0  # accepted: nothing left to decide

        town = await j.page_as("daping", "township", "tw-daping")
        await town.goto(f"{j.base}/campaigns/{cid}")
        await town.locator("#entries tr[data-id='ent-jinlong']").wait_for()
        assert await town.locator("#entries a").count() == 0
        await j.shot(town, "campaign-township")
    assert j.errors == []
