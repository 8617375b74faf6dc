"""/docs and /redoc of every service in Chromium with the network cut to all but 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shared.clock import TestClock
from tests.serving import serving
from tests.shared.apidocs_apps import operations, service_apps

IN_CI = os.environ.get("CI", "").lower() == "true"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

try:
    from playwright.async_api import ConsoleMessage, Route, async_playwright
except ImportError:  # a venv made before playwright joined the test extras: `make install`
    if IN_CI:
        raise
    pytest.skip("!!! playwright not installed: run `make install` !!!", allow_module_level=True)


class Offline:
    """Lets a page reach 127.0.0.1 only; notes what else it asked for and its console errors."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []

    async def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def page_error(self, error: Exception) -> None:
        self.errors.append(str(error))


async def test_every_service_documents_its_operations_offline(
    tmp_path: Path, clock: TestClock, chromium_path: str
) -> None:
    apps = service_apps(tmp_path, clock)
    async with contextlib.AsyncExitStack() as stack:
        bases = {name: await stack.enter_async_context(serving(app)) for name, app in apps.items()}
        pw = await stack.enter_async_context(async_playwright())
        browser = await pw.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        stack.push_async_callback(browser.close)
        for name, app in apps.items():
            expected = operations(app)
            assert len(expected) >= 5, name  # the ops endpoints and the service's own
            page = await browser.new_page()
            offline = Offline()
            await page.route("**/*", offline.route)
            page.on("console", offline.console)
            page.on("pageerror", offline.page_error)

            await page.goto(f"{bases[name]}/docs")
            assert offline.blocked == [], f"{name} /docs reached for the internet"
            assert await page.title() == f"{app.title} · API 文档"
            await page.wait_for_function(
                "n => document.querySelectorAll('.opblock').length >= n", arg=len(expected)
            )
            listed = await page.eval_on_selector_all(
                ".opblock",
                """els => els.map(e => [
                    e.querySelector('.opblock-summary-method').textContent,
                    e.querySelector('.opblock-summary-path').dataset.path])""",
            )
            assert sorted(map(tuple, listed)) == sorted((m, p) for m, p, _ in expected), name

            await page.goto(f"{bases[name]}/redoc")
            assert offline.blocked == [], f"{name} /redoc reached for the internet"
            assert await page.title() == f"{app.title} · API 文档（ReDoc）"
            await page.wait_for_function(
                "n => document.querySelectorAll('[id^=\"operation/\"]').length >= n",
                arg=len(expected),
            )
            rendered = await page.eval_on_selector_all(
                '[id^="operation/"]', "els => els.map(e => e.id)"
            )
            assert sorted(rendered) == sorted(f"operation/{op}" for _, _, op in expected), name
            assert app.title in await page.inner_text("body")
            # ReDoc adds its sidebar footer's image after the first render: let that happen.
            await page.wait_for_load_state("networkidle")
            assert offline.blocked == [], f"{name} /redoc reached for the internet"
            assert offline.errors == [], f"{name}: errors in the console"
            await page.close()
