"""公文 and 上报记录 in Chromium on a phone and a desktop: from the hazard's tab to its documents,
the GB/T 9704 page in its sandboxed frame, 签发 giving the 文号 (checked in hazard_api), the PDF,
then the deliveries view and a 重新推送; screenshots kept, no console error, a CJK font."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Page, async_playwright

from services.portal.session import COOKIE, PageSession, encode, new_csrf
from shared.clock import TestClock
from tests.hazard_api.lifecycle.documents import rectifying_hazard
from tests.portal.browser import VIEWPORTS, cjk_font
from tests.portal.conftest import PORTAL_SECRET, Api, portal_over
from tests.portal.test_journey_browser import db_kind
from tests.portal.test_reporting_page import emulator, failing, reporting_app
from tests.serving import serving

__all__ = ["db_kind", "emulator", "failing", "reporting_app"]


@pytest.mark.parametrize("device", list(VIEWPORTS))
async def test_documents_and_reporting_records_in_chromium(
    device: str,
    app: FastAPI,
    api: Api,
    reporting_app: FastAPI,
    failing: list[dict[str, object]],
    clock: TestClock,
    chromium_path: str,
    tmp_path: Path,
) -> None:
    h = await rectifying_hazard(api)
    drafted = await api.as_("office").post(
        "/documents", {"doc_type": "listing_notice", "hazard_id": h["id"]}
    )
    doc = drafted.json()
    shots = Path(os.environ.get("DUBAN_SCREENSHOTS") or tmp_path) / f"documents-{device}"
    shots.mkdir(parents=True, exist_ok=True)
    token = api.headers["office"]["Authorization"].removeprefix("Bearer ")
    session = PageSession(token, new_csrf(), "office", "county_office", "dep-yingji", 1e12)
    errors: list[str] = []
    n = [0]

    async def shot(page: Page, name: str) -> None:
        n[0] += 1
        await page.screenshot(path=str(shots / f"{n[0]:02d}-{name}.png"), full_page=True)

    async with (
        portal_over(clock, hazard_api=app, reporting=reporting_app) as portal,
        serving(portal) as base,
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = await browser.new_context(**VIEWPORTS[device])
            await context.add_cookies(
                [{"name": COOKIE, "value": encode(session, PORTAL_SECRET), "url": base}]
            )
            page = await context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            await page.goto(f"{base}/hazards/{h['id']}")
            await page.click("#tab-documents")
            await page.wait_for_selector("#documents")
            assert await page.locator("#documents tr[data-id]").count() == 1
            await shot(page, "documents")
            await page.click(f"#documents tr[data-id='{doc['id']}'] a")
            await page.wait_for_selector("#document-frame")
            framed = page.frame_locator("#document-frame").locator("body")
            assert doc["addressee"] in await framed.inner_text()
            assert any("CJK" in f for f in await cjk_font(page))
            await shot(page, "draft")

            async with page.expect_download() as download:
                await page.click("#download-pdf")
            assert (await download.value).suggested_filename.endswith(".pdf")
            # 修改草稿 before 签发: the framed document shows the change.
            await page.click("#edit-draft summary")
            addressee = f"{doc['addressee']}、大坪乡人民政府"
            await page.fill("#edit-form input[name=addressee]", addressee)
            await page.click("#save-draft")
            await page.wait_for_selector("#edited-note")
            assert "大坪乡人民政府" in await framed.inner_text()
            await shot(page, "edited")
            await page.click("#issue")
            await page.wait_for_selector("#issued-note")
            in_api = (await api.as_("office").get(f"/documents/{doc['id']}")).json()
            assert in_api["doc_no"] and in_api["doc_no"] in await page.inner_text("#issued-note")
            assert in_api["doc_no"] in await framed.inner_text()
            await shot(page, "issued")

            await page.goto(f"{base}/reporting")
            await page.wait_for_selector("#deliveries")
            assert "失败待重试（答复状态码 500）" in await page.inner_text("#deliveries")
            await shot(page, "deliveries")
            major = str(failing[1]["webhook_id"])
            await page.locator(f"tr[data-id='{major}'] .replay button").click()
            await page.wait_for_selector("#replayed-note")
            await shot(page, "replayed")
        finally:
            await browser.close()
            await portal.state.upstream.aclose()
    assert errors == []
    assert len(list(shots.glob("*.png"))) == 6
