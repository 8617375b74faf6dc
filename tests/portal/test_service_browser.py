"""送达凭证 in Chromium: from the hazard's detail page to its proof of service (served by the
notification service behind the portal), with the downloads."""

from __future__ import annotations

from fastapi import FastAPI
from playwright.async_api import async_playwright

from services.notification.main import create_app as notification_app
from services.portal.session import COOKIE, PageSession, encode, new_csrf
from shared.clock import TestClock
from shared.contract import ChainRole, DocumentRef, DocumentType, Urgency
from tests.hazard_api.conftest import SECRET as HAZARD_API_SECRET
from tests.notification.conftest import aliyun, make_harness, smtp  # noqa: F401  (fixtures)
from tests.notification.county import org_events, step_fired
from tests.notification.settings import aliyun_config
from tests.portal.conftest import HAZARD, PORTAL_SECRET, Api, portal_over
from tests.portal.test_journey_browser import db_kind  # noqa: F401  (fixture)
from tests.serving import serving


async def test_the_office_opens_the_proof_of_service_from_the_hazard(
    app: FastAPI,
    api: Api,
    clock: TestClock,
    chromium_path: str,
    make_harness,  # noqa: F811
    aliyun,  # noqa: F811
) -> None:
    hid = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    # The notification service trusts hazard_api's tokens (the deployment's bearer key).
    h = await make_harness(
        sms_providers=[aliyun_config(aliyun.url)],
        default_channels=["sms"],
        bearer_key=HAZARD_API_SECRET,
    )
    await h.org(org_events())
    order = DocumentRef(
        document_id="doc-1",
        doc_type=DocumentType.RECTIFICATION_NOTICE,
        doc_no="演安委〔2026〕3号",
        title="隐患整改通知书",
        issuing_body="演示县安全生产委员会办公室",
        url="/documents/doc-1/pdf",
    )
    await h.step(
        step_fired(
            h.clock,
            roles=[ChainRole.ENTERPRISE_PRINCIPAL],
            urgency=Urgency.IMMEDIATE,
            hazard_id=hid,
            document=order,
        )
    )
    await h.settle()
    [sms] = aliyun.emulator.accepted
    notification = notification_app(h.runtime.settings, h.clock)
    notification.state.runtime = h.runtime
    token = api.headers["office"]["Authorization"].removeprefix("Bearer ")
    session = PageSession(token, new_csrf(), "office", "county_office", "dep-yingji", 1e12)
    errors: list[str] = []
    async with (
        portal_over(clock, hazard_api=app, notification=notification) as portal,
        serving(portal) as base,
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = await browser.new_context()
            await context.add_cookies(
                [{"name": COOKIE, "value": encode(session, PORTAL_SECRET), "url": base}]
            )
            page = await context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{base}/hazards/{hid}")
            await page.click("#tab-service")
            await page.wait_for_selector("#entries")
            assert page.url.endswith(f"/hazards/{hid}/service")
            body = await page.inner_text("body")
            for fragment in (
                "送达凭证",
                "厂长壬",
                "隐患整改通知书（演安委〔2026〕3号）",
                sms.message_id,
                "已发送",
                "未签收",
                "记录链校验：通过",
            ):
                assert fragment in body, fragment
            assert await page.locator("tr.entry").count() == 1
            digest = await page.inner_text("#content-hash")
            async with page.expect_download() as pdf_download:
                await page.click("#download-pdf")
            pdf = await pdf_download.value
            assert pdf.suggested_filename.endswith(".pdf")
            csv = await context.request.get(f"{base}/hazards/{hid}/service.csv")
            assert csv.ok and csv.headers["x-content-sha256"] == digest
            assert "厂长壬" in (await csv.body()).decode("utf-8-sig")
        finally:
            await browser.close()
            await portal.state.upstream.aclose()
    assert errors == []
