"""The issue's journey of a major hazard, driven in Debian's Chromium on a phone and on a desktop:
every step done on the portal's pages, checked on the page and in hazard_api, screenshots kept,
no console error, Chinese text rendered in a CJK font."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from services.hazard_api.auth.models import User, UserRole
from services.hazard_api.auth.service import issue_token
from shared.clock import TestClock
from shared.db import transaction
from tests.hazard_api.conftest import DEMO_PASSWORD
from tests.hazard_api.lifecycle.conftest import PLAN
from tests.portal.browser import (
    VIEWPORTS,
    cjk_font,
    fits_the_screen,
    journey,
    photo,
    screenshots,
)
from tests.portal.conftest import Api, portal_over


@pytest.fixture
def db_kind() -> str:
    # The pages keep no data; the database paths are covered by the HTTP tests on both kinds.
    return "sqlite"


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

    shots = screenshots(tmp_path, f"journey-{device}")
    async with (
        portal_over(clock, hazard_api=app) as portal,
        journey(portal, api, device, chromium_path, shots) as j,
    ):
        base = j.base

        # The enterprise signs in through the form and reports a hazard with a photo.
        context = await j.browser.new_context(**VIEWPORTS[device])
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
        assert "Noto Sans CJK" in await ent.evaluate("getComputedStyle(document.body).fontFamily")
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
        # Every tab in sight, on the phone too (a row cut off at 「验」 hid the rest).
        cut = await ent.eval_on_selector_all(
            ".tabs a", "as => as.filter(a => a.getBoundingClientRect().right > innerWidth).length"
        )
        assert cut == 0
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
        assert offered is not None and await dept.locator("#action-decide_extension").count() == 0
        await j.act(office, hid, "decide_extension", {"approve": "yes", "opinion": "同意"})
        assert (await j.status("office", hid))["extensions"][0]["status"] == "approved"

        # The enterprise reports rectification with a photo; the office accepts and delists.
        await j.act(
            ent,
            hid,
            "report_rectification",
            {"summary": "超量成品已转运", "funds_spent": "80000", "photos": ""},
        )
        assert (await j.status("hongxing", hid))["hazard"]["status"] == ("rectification_reported")
        await j.act(office, hid, "decide_acceptance", {"passed": "yes", "opinion": "现场验收合格"})
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
        await fits_the_screen(office)  # the filters' date inputs once widened a phone's page
        await j.shot(office, "ledger")
        await ent.goto(f"{base}/")
        await j.shot(ent, "workbench-end")
    assert j.errors == []
    assert len(list(shots.glob("*.png"))) >= 20
