"""The portal in Chromium for the browser tests: the portal served on a free port, a browser
on a phone or a desktop, pages signed in as a user, screenshots kept, console errors
collected, and the font Chromium really used for Chinese text."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from services.portal.session import COOKIE, PageSession, encode, new_csrf
from tests.hazard_api.lifecycle.conftest import PNG
from tests.portal.conftest import PORTAL_SECRET, Api
from tests.serving import serving

IN_CI = os.environ.get("CI", "").lower() == "true"
try:
    from playwright.async_api import Browser, FilePayload, Page, async_playwright
except ImportError:  # a venv made before playwright joined the test extras: `make install`
    if IN_CI:
        raise
    pytest.skip("!!! playwright not installed: run `make install` !!!", allow_module_level=True)

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}


def photo(name: str) -> FilePayload:
    return {"name": name, "mimeType": "image/png", "buffer": PNG}


class Journey:
    def __init__(
        self, browser: Browser, base: str, device: dict[str, Any], shots: Path, api: Api
    ) -> None:
        self.browser, self.base, self.device, self.shots, self.api = (
            browser,
            base,
            device,
            shots,
            api,
        )
        self.errors: list[str] = []
        self.n = 0

    async def page_as(
        self, username: str, role: str, unit_id: str, *, device: str | None = None
    ) -> Page:
        """A fresh browser context holding `username`'s session (minted like /auth/token), on
        the journey's device or on `device` (one person at a desk, the next on a phone)."""
        token = self.api.headers[username]["Authorization"].removeprefix("Bearer ")
        session = PageSession(token, new_csrf(), username, role, unit_id, 1e12)
        viewport = self.device if device is None else VIEWPORTS[device]
        context = await self.browser.new_context(**viewport)
        await context.add_cookies(
            [{"name": COOKIE, "value": encode(session, PORTAL_SECRET), "url": self.base}]
        )
        return self.watch(await context.new_page())

    def watch(self, page: Page) -> Page:
        page.on(
            "console",
            lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return page

    async def shot(self, page: Page, name: str) -> None:
        self.n += 1
        await page.screenshot(path=str(self.shots / f"{self.n:02d}-{name}.png"), full_page=True)

    async def act(self, page: Page, hid: str, action: str, fill: dict[str, str]) -> None:
        await page.goto(f"{self.base}/hazards/{hid}")
        box = page.locator(f"#action-{action}")
        if not await box.evaluate("e => e.open"):
            await box.locator("summary").click()
        for name, value in fill.items():
            field = box.locator(f"[name={name}]")
            tag = await field.evaluate("e => e.tagName")
            if tag == "SELECT":
                await field.select_option(value)
            elif await field.get_attribute("type") == "file":
                await field.set_input_files(files=[photo("整改后.png")])
            else:
                await field.fill(value)
        await self.shot(page, f"{action}-form")
        await box.locator("button[type=submit]").click()
        await page.wait_for_load_state()
        assert "已办理完成" in await page.inner_text("main"), await page.inner_text("main")
        await self.shot(page, f"{action}-done")

    async def status(self, username: str, hid: str) -> dict[str, Any]:
        body: dict[str, Any] = (await self.api.as_(username).get(f"/hazards/{hid}")).json()
        return body


async def cjk_font(page: Page) -> list[str]:
    """The fonts Chromium really used for the page's first heading (CDP)."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("DOM.enable")
    await cdp.send("CSS.enable")
    root = await cdp.send("DOM.getDocument")
    node = await cdp.send("DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": "h1"})
    fonts = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return [f["familyName"] for f in fonts["fonts"]]


def screenshots(tmp_path: Path, name: str) -> Path:
    """Where a test's screenshots go: $DUBAN_SCREENSHOTS (to look at them) or the test's
    temporary folder."""
    shots = Path(os.environ.get("DUBAN_SCREENSHOTS") or tmp_path) / name
    shots.mkdir(parents=True, exist_ok=True)
    return shots


@contextlib.asynccontextmanager
async def journey(
    portal: FastAPI, api: Api, device: str, chromium_path: str, shots: Path
) -> AsyncIterator[Journey]:
    """The portal served, Chromium launched with the `device`'s viewport; closed after."""
    async with serving(portal) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield Journey(browser, base, VIEWPORTS[device], shots, api)
        finally:
            await browser.close()


async def fits_the_screen(page: Page) -> None:
    """The page is no wider than the device's screen. Not `innerWidth`: a phone's browser widens
    its layout viewport to whatever overflows, so that comparison never fails."""
    width = await page.evaluate("[document.documentElement.scrollWidth, screen.width]")
    assert width[0] <= width[1], width
