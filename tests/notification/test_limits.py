"""#17 at notification: bodies bounded (413), text the database cannot store a 4xx, and a
deleted account (announced by hazard_api as inactive) refused at its next request."""

from __future__ import annotations

from typing import Any

from services.notification.main import create_app
from shared.contract import AccountChanged
from shared.db import is_sqlite
from tests.notification.county import org_events
from tests.notification.test_account_cutoff import bearer, client_for

PREFERENCE = {"channels": ["sms"], "quiet_start": None, "quiet_end": None, "digest_window_s": 0}


async def test_a_body_over_the_limit_is_413(make_harness: Any) -> None:
    h = await make_harness()
    await h.org(org_events())
    office = bearer(h, "u-office")
    async with client_for(h) as client:
        big = {**PREFERENCE, "note": "备" * 400_000}
        answer = await client.put("/preferences/p-firm", json=big, headers=office)
        assert answer.status_code == 413
        assert answer.json() == {"detail": "请求体过大（上限 1 MB），请拆分后再提交"}
        fine = await client.put("/preferences/p-firm", json=PREFERENCE, headers=office)
        assert fine.status_code == 200, fine.text


async def test_a_smaller_limit_is_configurable(make_harness: Any) -> None:
    h = await make_harness(max_body_bytes=4096)
    app = create_app(h.runtime.settings, h.clock)
    assert any(m.kwargs.get("max_bytes") == 4096 for m in app.user_middleware)


async def test_text_the_database_cannot_store_is_a_4xx(make_harness: Any) -> None:
    h = await make_harness()
    await h.org(org_events())
    async with client_for(h) as client:
        answer = await client.get("/preferences/p%00x", headers=bearer(h, "u-office"))
    # PostgreSQL refuses NUL in text (422); SQLite looks it up and finds nobody (404).
    assert answer.status_code == (404 if is_sqlite(h.runtime.engine) else 422), answer.text


async def test_a_deleted_account_is_refused_at_its_next_request(make_harness: Any) -> None:
    h = await make_harness()
    await h.org(org_events())
    office = bearer(h, "u-office")
    async with client_for(h) as client:
        assert (await client.get("/preferences/p-firm", headers=office)).status_code == 200
        h.clock.advance(minutes=5)
        # hazard_api's DELETE /users/{id} announces the account as inactive.
        await h.org(
            [AccountChanged(user_id="u-office", active=False, tokens_valid_from=h.clock.now())]
        )
        for path in ("/preferences/p-firm", "/deliveries"):
            refused = await client.get(path, headers=office)
            assert refused.status_code == 401, path
