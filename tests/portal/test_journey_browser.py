"""The issue's journey of a major hazard, driven in Debian's Chromium on a phone and on a desktop:
every step done on the portal's pages, checked on the page and in hazard_api, screenshots kept,
no console error, Chinese text rendered in a CJK font."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.service import issue_token
from services.portal.main import create_app
from services.portal.session import COOKIE, PageSession, encode, new_csrf
from shared.broker import free_port, wait_for_port
from shared.clock import TestClock
from shared.db import transaction
from tests.hazard_api.conftest import DEMO_PASSWORD
from tests.hazard_api.lifecycle.conftest import PLAN, PNG
from tests.portal.conftest import PORTAL_SECRET, Api, portal_settings

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


@pytest.fixture
def db_kind() -> str:
    # The pages keep no data; the database paths are covered by the HTTP tests on both kinds.
    return "sqlite"


def photo(name: str) -> FilePayload:
    return {"name": name, "mimeType": "image/png", "buffer": PNG}


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await asyncio.to_thread(wait_for_port, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


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

    async def page_as(self, username: str, role: str, unit_id: str) -> Page:
        """A fresh browser context holding `username`'s session (minted like /auth/token)."""
        token = self.api.headers[username]["Authorization"].removeprefix("Bearer ")
        session = PageSession(token, new_csrf(), username, role, unit_id, 1e12)
        context = await self.browser.new_context(**self.device)
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


@pytest.mark.parametrize("device", list(VIEWPORTS))
async def test_the_major_hazard_journey_in_chromium(
    device: str,
    app: FastAPI,
    api: Api,
    clock: TestClock,
    chromium_path: str,
    tmp_path: Path,
) -> None:
    # The department supervising 红星 (公安局) needs an account; 住建局 does not supervise it.
    async with transaction(app.state.sessionmaker) as session:
        gongan = User(
            id="u-gongan",
            username="gongan",
            password_hash="!no-password-login",
            role=UserRole.DEPARTMENT.value,
            unit_id="dep-gongan",
            person_id="p-songqiang",
            scopes="",
            active=True,
            created_at=clock.now(),
        )
        session.add(gongan)
        key = app.state.settings.secret_key
        token = issue_token(gongan, [], secret_key=key, clock=clock, minutes=24 * 60)
    api.headers["gongan"] = {"Authorization": f"Bearer {token}"}

    shots = Path(os.environ.get("DUBAN_SCREENSHOTS") or tmp_path) / f"journey-{device}"
    shots.mkdir(parents=True, exist_ok=True)
    portal = create_app(
        portal_settings(), clock, transports={"hazard_api": httpx.ASGITransport(app=app)}
    )
    async with serving(portal) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            j = Journey(browser, base, VIEWPORTS[device], shots, api)

            # The enterprise signs in through the form and reports a hazard with a photo.
            context = await browser.new_context(**VIEWPORTS[device])
            ent = j.watch(await context.new_page())
            await ent.goto(f"{base}/")
            assert "/login" in ent.url
            await ent.fill("[name=username]", "hongxing")
            await ent.fill("[name=password]", DEMO_PASSWORD)
            await j.shot(ent, "login")
            await ent.click("button[type=submit]")
            await ent.wait_for_load_state()
            assert "工作台" in await ent.inner_text("h1")
            families = await cjk_font(ent)
            assert any("CJK" in f for f in families), families
            assert "Noto Sans CJK" in await ent.evaluate(
                "getComputedStyle(document.body).fontFamily"
            )
            await j.shot(ent, "workbench")
            await ent.goto(f"{base}/hazards/new")
            await ent.fill("[name=location]", "二号库房东侧")
            await ent.fill("[name=description]", "库房内存放药量超过核定药量，防护屏障部分缺失")
            await ent.locator("[name=photos]").set_input_files(files=[photo("现场.png")])
            await j.shot(ent, "report-form")
            await ent.click("form.stack button[type=submit]")
            await ent.wait_for_load_state()
            hid = ent.url.split("/hazards/")[1].split("?")[0]
            assert "已登记" in await ent.inner_text("#status")
            detail = await j.status("hongxing", hid)
            assert detail["hazard"]["status"] == "reported" and len(detail["attachments"]) == 1
            await ent.goto(f"{base}/hazards/{hid}?tab=evidence")
            assert await ent.locator(".gallery img").count() == 1
            await j.shot(ent, "evidence")

            # The township judges it major and proposes it; the department confirms.
            town = await j.page_as("daping", "township", "tw-daping")
            await j.act(
                town,
                hid,
                "propose_major",
                {"grade": "3", "criterion_id": "YH-05", "reason": "超量储存，属重大事故隐患"},
            )
            assert (await j.status("daping", hid))["hazard"]["proposed_grade"] == 3
            dept = await j.page_as("gongan", "department", "dep-gongan")
            await j.act(dept, hid, "classify_major", {"grade": "3", "criterion_id": "YH-05"})
            h = (await j.status("gongan", hid))["hazard"]
            assert (h["status"], h["level"], h["grade"]) == ("classified", "major", 3)
            assert "重大事故隐患" in await dept.inner_text("h1")

            # The county office lists it.
            office = await j.page_as("office", "county_office", "dep-yingji")
            await j.act(office, hid, "list", {"notice_no": "演安委〔2026〕1号"})
            assert (await j.status("office", hid))["hazard"]["listing_level"] == "county"

            # The enterprise submits the plan, starts, and asks for an extension.
            await j.act(ent, hid, "submit_plan", {k: str(v) for k, v in PLAN.items()})
            assert (await j.status("hongxing", hid))["plan"]["responsible_person"] == "张红星"
            await j.act(ent, hid, "start_rectification", {})
            await j.act(ent, hid, "request_extension", {"days": "15", "reason": "雨季施工受阻"})
            assert (await j.status("hongxing", hid))["extensions"][0]["status"] == "pending"

            # A listed hazard's extension is decided by the listing body (authority table).
            offered = await dept.goto(f"{base}/hazards/{hid}")
            assert (
                offered is not None and await dept.locator("#action-decide_extension").count() == 0
            )
            await j.act(office, hid, "decide_extension", {"approve": "yes", "opinion": "同意"})
            assert (await j.status("office", hid))["extensions"][0]["status"] == "approved"

            # The enterprise reports rectification with a photo; the office accepts and delists.
            await j.act(
                ent,
                hid,
                "report_rectification",
                {"summary": "超量成品已转运", "funds_spent": "80000", "photos": ""},
            )
            assert (await j.status("hongxing", hid))["hazard"]["status"] == (
                "rectification_reported"
            )
            await j.act(
                office, hid, "decide_acceptance", {"passed": "yes", "opinion": "现场验收合格"}
            )
            assert (await j.status("office", hid))["hazard"]["status"] == "accepted"
            await j.act(office, hid, "close", {"delisting_notice_no": "演安委〔2026〕9号"})
            h = (await j.status("office", hid))["hazard"]
            assert h["status"] == "closed" and h["delisting_notice_no"] == "演安委〔2026〕9号"
            assert "已销号" in await office.inner_text("#status")

            for tab in ("timeline", "audit", "acceptance", "listing", "plan", "extension"):
                await office.goto(f"{base}/hazards/{hid}?tab={tab}")
                await j.shot(office, f"tab-{tab}")
            # The ledger's filter form re-renders the list in place (htmx) and keeps the URL.
            await office.goto(f"{base}/hazards")
            await office.locator("select[name=status]").select_option("closed")
            await office.locator("form.filters button[type=submit]").click()
            await office.wait_for_url("**/hazards?status=closed**")
            await office.locator(f"tr[data-id='{hid}']").wait_for()
            assert await office.locator("#total").inner_text() == "1"
            await j.shot(office, "ledger")
            await ent.goto(f"{base}/")
            await j.shot(ent, "workbench-end")
        finally:
            await browser.close()
    assert j.errors == []
    assert len(list(shots.glob("*.png"))) >= 20
