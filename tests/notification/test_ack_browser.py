"""The acknowledgement page as a leader meets it: headless Chromium, a real HTTP server."""

from __future__ import annotations

import os

import pytest

from services.notification.main import create_app
from shared.contract import ChainRole, Urgency
from tests.notification.county import PEOPLE, org_events, step_fired
from tests.notification.settings import aliyun_config
from tests.serving import serving

IN_CI = os.environ.get("CI", "").lower() == "true"

try:
    from playwright.async_api import async_playwright
except ImportError:  # a venv made before playwright joined the test extras: `make install`
    if IN_CI:
        raise
    pytest.skip("!!! playwright not installed: run `make install` !!!", allow_module_level=True)


async def test_leader_opens_the_link_and_confirms_in_a_browser(
    make_harness, aliyun, chromium_path: str
) -> None:
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)], default_channels=["sms"], ack_link_ttl_s=86400
    )
    await h.org(org_events())
    await h.step(
        step_fired(
            h.clock, roles=[ChainRole.ENTERPRISE_PRINCIPAL], hazard_n=1, urgency=Urgency.URGENT
        )
    )
    await h.settle()
    [sms] = aliyun.emulator.sends_to(PEOPLE["p-firm"].mobile or "")
    path = sms.params["link"].removeprefix("http://duban.test")
    app = create_app(h.runtime.settings, h.clock)
    app.state.runtime = h.runtime

    async with serving(app) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = await browser.new_page()
            await page.goto(base + path)
            body = await page.inner_text("body")
            assert "督办签收" in body and "YH-2026-0001" in body and "厂长壬" in body
            if shots := os.environ.get("DUBAN_SCREENSHOTS"):
                await page.screenshot(path=f"{shots}/ack.png", full_page=True)
            await page.fill("#phone-tail", (PEOPLE["p-firm"].mobile or "")[-4:])
            await page.get_by_role("button", name="确认签收").click()
            await page.wait_for_load_state()
            assert "签收成功" in await page.inner_text("body")
        finally:
            await browser.close()

    acks = [e for e in await h.events() if e["status"] == "acknowledged"]
    assert [(e["person_id"], e["hazard_ids"]) for e in acks] == [("p-firm", ["h-1"])]
