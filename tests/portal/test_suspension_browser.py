"""停产整顿 in Debian's Chromium, each person on their own device: the county office orders it
at a desk from the accident's page, the enterprise applies for 复工复产 on its phone (a refusal
first, the form kept), the township reviews on a phone, the acceptance team decides and the
enterprise resumes. Checked on the page and in hazard_api; no console error; no phone page
wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from shared.clock import TestClock
from tests.hazard_api.lifecycle.test_accident_class import quick_report
from tests.hazard_api.lifecycle.test_accident_closure import APPLICATION
from tests.portal.browser import Journey, fits_the_screen, journey, screenshots
from tests.portal.conftest import Api, portal_over
from tests.portal.test_accident_browser import fill_checklist

try:
    from playwright.async_api import Page
except ImportError:  # pragma: no cover - test_journey_browser skips or fails first
    pytest.skip("playwright not installed", allow_module_level=True)


REFUSED = "the server responded with a status of 422 (Unprocessable Entity)"


@pytest.fixture
def db_kind() -> str:
    # The pages keep no data; the database paths are covered by the HTTP tests on both kinds.
    return "sqlite"


async def submitted(page: Page, j: Journey, form: str, name: str) -> None:
    await j.shot(page, f"{name}-form")
    await page.locator(f"#{form} button[type=submit]").click()
    await page.wait_for_load_state()
    await j.shot(page, f"{name}-done")


async def test_an_order_to_resumption_across_devices(
    app: FastAPI, api: Api, clock: TestClock, chromium_path: str, tmp_path: Path
) -> None:
    shots = screenshots(tmp_path, "suspension")
    aid = (await api.as_("hongxing").post("/accidents", quick_report(clock, deaths=1))).json()["id"]
    async with (
        portal_over(clock, hazard_api=app) as portal,
        journey(portal, api, "desktop", chromium_path, shots) as j,
    ):
        # The county office, at a desk: from the accident to the order.
        office = await j.page_as("office", "county_office", "dep-yingji")
        await office.goto(f"{j.base}/accidents/{aid}")
        await office.click("#order-suspension")
        await office.wait_for_load_state()
        assert await office.input_value("[name=unit]") == "红星烟花爆竹有限公司（ent-hongxing）"
        await office.fill("[name=order_no]", "演应急停〔2026〕5号")
        await office.fill("[name=reason]", "发生一般生产安全事故")
        await submitted(office, j, "order-form", "order")
        assert "停产整顿中" in await office.inner_text("#status")
        sid = office.url.split("/suspensions/")[1].split("?")[0]
        s = (await api.as_("office").get(f"/suspensions/{sid}")).json()
        assert (s["order_no"], s["accident_id"], s["status"]) == (
            "演应急停〔2026〕5号",
            aid,
            "suspended",
        )

        # The enterprise, on its phone: finds the order in the list and applies.
        ent = await j.page_as("hongxing", "enterprise", "ent-hongxing", device="phone")
        await ent.goto(f"{j.base}/suspensions")
        await ent.click(f"a[href='/suspensions/{sid}']")
        await ent.wait_for_load_state()
        await fits_the_screen(ent)
        for name, value in APPLICATION.items():
            await ent.fill(f"#apply-form [name={name}]", value)
        await ent.fill("#apply-form [name=training_records]", " ")
        await submitted(ent, j, "apply-form", "apply-refused")
        assert await ent.inner_text("#error") == "培训记录：不能为空"
        assert (
            await ent.input_value("#apply-form [name=drill_records]")
            == APPLICATION["drill_records"]
        )
        await ent.fill("#apply-form [name=training_records]", APPLICATION["training_records"])
        await submitted(ent, j, "apply-form", "apply")
        assert "已办理完成" in await ent.inner_text("main")
        assert await ent.inner_text("#status") == "已申请复工复产"
        assert (await api.as_("office").get(f"/suspensions/{sid}")).json()["status"] == "applied"
        assert await ent.locator("#apply-form").count() == 0

        # The township, on a phone: 同意 is chosen, not preset.
        town = await j.page_as("daping", "township", "tw-daping", device="phone")
        await town.goto(f"{j.base}/suspensions/{sid}")
        await fits_the_screen(town)
        assert await town.locator("#review-form [name=passed]:checked").count() == 0
        await town.check("#review-form [name=passed][value=yes]")
        await town.fill("#review-form [name=note]", "材料齐全，提请验收")
        await submitted(town, j, "review-form", "review")
        assert "同意" in await town.inner_text("#review-result")
        assert (await api.as_("office").get(f"/suspensions/{sid}")).json()["status"] == "reviewed"

        # The acceptance team's checklist (the existing page), then 恢复生产.
        await office.goto(f"{j.base}/suspensions/{sid}")
        await office.click("a.accept")
        await office.wait_for_load_state()
        await fill_checklist(office, j, "acceptance")
        await office.goto(f"{j.base}/suspensions/{sid}")
        await office.click("#resume button")
        await office.wait_for_load_state()
        assert "已复工复产" in await office.inner_text("#status")
        assert (await api.as_("office").get("/units/ent-hongxing")).json()["status"] == "operating"
    # The refused application is served as the 422 it is; Chromium logs that response (not a
    # script error). Nothing else may be logged.
    refused = f"/suspensions/{sid}/application: Failed to load resource: {REFUSED}"
    assert [e.split(j.base)[-1] for e in j.errors] == [refused]
