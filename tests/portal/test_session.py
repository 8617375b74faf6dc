"""Signing in and out through the pages: cookie flags, CSRF, idle expiry, a locked account,
a password change, and the headers every page carries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import asdict

import httpx
from fastapi import FastAPI

from services.portal.session import COOKIE, LOGIN_CSRF_COOKIE, PageSession, decode, encode
from shared.clock import TestClock
from tests.hazard_api.conftest import DEMO_PASSWORD
from tests.portal.conftest import PORTAL_SECRET, Api, SignIn


def _login_csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def test_login_sets_a_strict_httponly_cookie_and_logout_ends_it(
    portal: httpx.AsyncClient, api: Api
) -> None:
    form = await portal.get("/login")
    assert form.status_code == 200 and "登录督办系统" in form.text
    csrf = _login_csrf(form)

    wrong = await portal.post(
        "/login", data={"username": "daping", "password": "wrong-password", "csrf_token": csrf}
    )
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text

    csrf = _login_csrf(wrong)
    ok = await portal.post(
        "/login", data={"username": "daping", "password": DEMO_PASSWORD, "csrf_token": csrf}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = next(h for h in ok.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # test env; production sets Secure (below)

    home = await portal.get("/")
    assert home.status_code == 200 and "工作台" in home.text and "daping" in home.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found
    out = await portal.post("/logout", data={"csrf_token": found.group(1)})
    assert out.status_code == 303 and out.headers["location"] == "/login?reason=out"
    after = await portal.get("/")
    assert after.status_code == 303 and after.headers["location"] == "/login?reason=required"


async def test_login_without_its_form_token_is_refused(portal: httpx.AsyncClient) -> None:
    await portal.get("/login")
    refused = await portal.post(
        "/login", data={"username": "daping", "password": DEMO_PASSWORD, "csrf_token": "forged"}
    )
    assert refused.status_code == 403 and "页面已过期" in refused.text
    assert COOKIE not in refused.cookies


async def test_production_cookies_are_secure(app: FastAPI, clock: TestClock) -> None:
    from services.portal.main import create_app
    from tests.portal.conftest import portal_settings

    portal_app = create_app(portal_settings(env="production"), clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=portal_app), base_url="https://portal.test"
    ) as c:
        page = await c.get("/login")
    cookie = next(h for h in page.headers.get_list("set-cookie") if LOGIN_CSRF_COOKIE in h)
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_a_form_posted_without_the_csrf_token_is_refused(signed_in: SignIn, api: Api) -> None:
    hid = (await api.as_("hongxing").post("/hazards", {**_hazard()})).json()["id"]
    browser, csrf = await signed_in("daping")
    refused = await browser.post(f"/hazards/{hid}/actions/classify_general", data={"tab": "basic"})
    assert refused.status_code == 403 and "安全校验未通过" in refused.text
    forged = await browser.post(
        f"/hazards/{hid}/actions/classify_general", data={"csrf_token": "x" + csrf}
    )
    assert forged.status_code == 403
    assert (await api.as_("daping").get(f"/hazards/{hid}")).json()["hazard"]["status"] == (
        "reported"
    )
    done = await browser.post(f"/hazards/{hid}/actions/classify_general", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert (await api.as_("daping").get(f"/hazards/{hid}")).json()["hazard"]["status"] == (
        "classified"
    )


async def test_an_idle_session_expires(signed_in: SignIn, clock: TestClock) -> None:
    browser, _ = await signed_in("daping")
    assert (await browser.get("/")).status_code == 200
    clock.advance(minutes=29)
    assert (await browser.get("/")).status_code == 200  # each request restarts the idle time
    clock.advance(minutes=31)
    idle = await browser.get("/")
    assert idle.status_code == 303 and idle.headers["location"] == "/login?reason=idle"
    page = await browser.get("/login?reason=idle")
    assert "长时间未操作" in page.text


async def test_each_page_refreshes_the_cookie_with_the_login_cookies_flags(
    signed_in: SignIn,
) -> None:
    browser, _ = await signed_in("daping")
    page = await browser.get("/hazards")
    cookie = next(h for h in page.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    value, _, flags = cookie.removeprefix(COOKIE + "=").partition(";")
    assert flags.strip() == "HttpOnly; Path=/; SameSite=strict"  # test env: not Secure
    session = decode(value, PORTAL_SECRET)
    assert session is not None and session.username == "daping"


def test_a_cookie_written_with_base64_padding_still_opens() -> None:
    """Cookies issued before the padding was dropped (quoted in Set-Cookie) stay valid."""
    session = PageSession("t", "c", "daping1", "township", "tw-daping", 1.0)
    payload = base64.urlsafe_b64encode(json.dumps(asdict(session)).encode()).decode()
    assert payload.endswith("==")  # the JSON's length is chosen so that it needs padding
    signature = hmac.new(PORTAL_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert decode(f"{payload}.{signature}", PORTAL_SECRET) == session
    forged = signature[:-1] + ("1" if signature.endswith("0") else "0")
    assert decode(f"{payload}.{forged}", PORTAL_SECRET) is None
    assert decode(encode(session, PORTAL_SECRET), PORTAL_SECRET) == session


async def test_a_locked_account_is_refused_at_its_next_request(signed_in: SignIn, api: Api) -> None:
    browser, _ = await signed_in("hongxing")
    assert (await browser.get("/hazards")).status_code == 200
    users = (await api.as_("office").get("/users")).json()
    uid = next(u["id"] for u in users if u["username"] == "hongxing")
    locked = await api.as_("office").client.patch(
        f"/users/{uid}", json={"active": False}, headers=api.headers["office"]
    )
    assert locked.status_code == 200
    refused = await browser.get("/hazards")
    assert refused.status_code == 303 and refused.headers["location"] == "/login?reason=refused"
    page = await browser.get(refused.headers["location"])
    assert "账号可能已被停用" in page.text


async def test_password_change_goes_through_hazard_api(
    portal: httpx.AsyncClient, signed_in: SignIn, client: httpx.AsyncClient
) -> None:
    browser, csrf = await signed_in("daping")
    mismatch = await browser.post(
        "/password",
        data={
            "csrf_token": csrf,
            "current_password": DEMO_PASSWORD,
            "new_password": "Xk9-portal-新密码",
            "new_password_again": "other",
        },
    )
    assert mismatch.status_code == 422 and "不一致" in mismatch.text
    wrong = await browser.post(
        "/password",
        data={
            "csrf_token": csrf,
            "current_password": "not-it",
            "new_password": "Xk9-portal-新密码",
            "new_password_again": "Xk9-portal-新密码",
        },
    )
    assert wrong.status_code == 403 and "当前密码错误" in wrong.text
    changed = await browser.post(
        "/password",
        data={
            "csrf_token": csrf,
            "current_password": DEMO_PASSWORD,
            "new_password": "Xk9-portal-新密码",
            "new_password_again": "Xk9-portal-新密码",
        },
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/login?reason=password"
    new = await client.post(
        "/auth/token", data={"username": "daping", "password": "Xk9-portal-新密码"}
    )
    assert new.status_code == 200


async def test_pages_carry_csp_and_vendored_files_are_cached(portal: httpx.AsyncClient) -> None:
    page = await portal.get("/login")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    htmx = re.search(r'src="(/apidocs/htmx\.org@2\.[^"]+/htmx\.min\.js)"', page.text)
    assert htmx, page.text
    js = await portal.get(htmx.group(1))
    assert js.status_code == 200 and "immutable" in js.headers["cache-control"]
    echarts = await portal.get("/apidocs/echarts@6.1.0/echarts.min.js")
    assert echarts.status_code == 200


def _hazard() -> dict[str, str]:
    from tests.portal.conftest import HAZARD

    return dict(HAZARD)
