"""送达凭证 behind the portal with the real notification service: offered only to the roles the
notification service shows it to, refused in plain words (403) to the others, and an honest
empty state for a hazard nobody has been notified about yet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI

from services.notification.main import create_app as notification_app
from shared.clock import TestClock
from tests.hazard_api.conftest import DEMO_PASSWORD, Login
from tests.hazard_api.conftest import SECRET as HAZARD_API_SECRET
from tests.notification.conftest import make_harness, smtp  # noqa: F401  (fixtures)
from tests.portal.conftest import HAZARD, Api, SignIn, portal_over

FORBIDDEN = "只有县安委办、属地乡镇（街道）和行业监管部门可以查看送达凭证"


@pytest.fixture
async def portal_app(
    app: FastAPI,
    clock: TestClock,
    make_harness: Callable[..., Any],  # noqa: F811
) -> AsyncIterator[FastAPI]:
    # The notification service trusts hazard_api's tokens (the deployment's bearer key).
    h = await make_harness(bearer_key=HAZARD_API_SECRET)
    notification = notification_app(h.runtime.settings, h.clock)
    notification.state.runtime = h.runtime
    async with portal_over(clock, hazard_api=app, notification=notification) as portal:
        yield portal


async def _leader(api: Api, login: Login) -> str:
    account = {
        "username": "xianzhang",
        "password": DEMO_PASSWORD,
        "role": "leader",
        "unit_id": "county",
        "person_id": "p-lijianguo",
    }
    assert (await api.as_("office").post("/users", account)).status_code == 201
    api.headers["xianzhang"] = await login("xianzhang")
    return "xianzhang"


async def test_roles_that_may_never_see_it_get_no_tab_and_a_plain_refusal(
    signed_in: SignIn, api: Api, login: Login
) -> None:
    hid = (await api.as_("hongxing").post("/hazards", HAZARD)).json()["id"]
    for username in ("hongxing", await _leader(api, login)):
        browser, _ = await signed_in(username)
        detail = await browser.get(f"/hazards/{hid}")
        assert detail.status_code == 200, detail.text
        assert 'id="tab-service"' not in detail.text
        for path in ("service", "service.pdf"):
            page = await browser.get(f"/hazards/{hid}/{path}")
            assert page.status_code == 403, (username, page.text)
            assert FORBIDDEN in page.text and "页面不存在" not in page.text


async def test_a_hazard_not_yet_notified_shows_an_empty_record(signed_in: SignIn, api: Api) -> None:
    created = (await api.as_("hongxing").post("/hazards", HAZARD)).json()
    browser, _ = await signed_in("office")
    detail = await browser.get(f"/hazards/{created['id']}")
    assert f'<a id="tab-service" href="/hazards/{created["id"]}/service">' in detail.text

    page = await browser.get(f"/hazards/{created['id']}/service")
    assert page.status_code == 200, page.text
    assert "暂无送达记录" in page.text and created["code"] in page.text
    assert "页面不存在" not in page.text

    # A hazard the ledger does not know (or the user may not see) is still not found.
    unknown = await browser.get("/hazards/no-such-hazard/service")
    assert unknown.status_code == 404 and "页面不存在" in unknown.text
