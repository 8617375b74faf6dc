"""Directory writes are scoped: what decides who sees what (portfolios, county leaders' posts)
is the county office's, and a refusal never tells whether something exists out of scope."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from services.hazard_api.audit.models import AuditRow
from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.models import Post
from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import Login


async def _visible(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    response = await client.get("/units", params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    return {u["id"] for u in response.json()}


async def _counts(app: FastAPI) -> tuple[int, int, int]:
    async with app.state.sessionmaker() as session:
        posts = await session.scalar(select(func.count()).select_from(Post))
        events = await session.scalar(select(func.count()).select_from(outbox_tables.outbox))
        audit = await session.scalar(select(func.count()).select_from(AuditRow))
    return posts or 0, events or 0, audit or 0


async def test_an_enterprise_cannot_make_a_county_leader_see_the_county(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    """The escalation found by probing: a post in the enterprise's own unit with a county
    portfolio and a county leader as holder (201 before) made that leader see everything."""
    leader = await login("fuxianzhang")
    seen_before = await _visible(client, leader)
    counts = await _counts(app)
    enterprise = await login("hongxing")
    post = {
        "unit_id": "ent-hongxing",
        "role": "leadership_member",
        "title": "挂名副总",
        "holder_person_id": "p-chenweidong",
        "portfolio_unit_ids": ["county"],
    }
    response = await client.post("/posts", json=post, headers=enterprise)
    assert response.status_code in (403, 404), response.text
    assert "县安委办" in response.json()["detail"]
    # Without the portfolio: the holder is out of the enterprise's scope (as if missing).
    holder_only = {k: v for k, v in post.items() if k != "portfolio_unit_ids"}
    outside = await client.post("/posts", json=holder_only, headers=enterprise)
    missing = await client.post(
        "/posts", json={**holder_only, "holder_person_id": "p-nobody"}, headers=enterprise
    )
    assert outside.status_code == 422
    assert outside.json() == missing.json()
    # An industry portfolio covers enterprises county-wide: the county office's as well.
    industries = {**post, "holder_person_id": None, "portfolio_unit_ids": []}
    industries["portfolio_industry_codes"] = ["C"]
    assert (await client.post("/posts", json=industries, headers=enterprise)).status_code == 403
    assert await _counts(app) == counts
    assert await _visible(client, leader) == seen_before


async def test_a_township_cannot_appoint_a_county_leader_or_hand_on_a_portfolio(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    township = await login("daping")
    # A person of the township's own enterprise who also signs in as a leader.
    account = {
        "username": "hongxing-leader",
        "password": "Lingdao-zhanghao-2026",
        "role": "leader",
        "unit_id": "county",
        "person_id": "p-hongxing-1",
    }
    assert (await client.post("/users", json=account, headers=office)).status_code == 201
    appoint = {"unit_id": "ent-hongxing", "role": "clerk", "title": "联络员"}
    leader_holder = await client.post(
        "/posts", json={**appoint, "holder_person_id": "p-hongxing-1"}, headers=township
    )
    assert leader_holder.status_code == 403
    assert (await client.patch("/people/p-hongxing-1", json={"mobile": "13700000000"},
                               headers=township)).status_code == 403  # fmt: skip
    ordinary = await client.post(
        "/posts", json={**appoint, "holder_person_id": "p-hongxing-2"}, headers=township
    )
    assert ordinary.status_code == 201, ordinary.text
    # A post the office gave a portfolio: its holder is no longer the township's to change.
    given = await client.patch(
        "/posts/post-daping-anquan", json={"portfolio_unit_ids": ["vl-shuangfeng"]}, headers=office
    )
    assert given.status_code == 200, given.text
    changes: list[dict[str, Any]] = [
        {"holder_person_id": "p-zhengyu"},
        {"portfolio_unit_ids": []},
        {"title": "改个名"},
    ]
    for change in changes:
        response = await client.patch("/posts/post-daping-anquan", json=change, headers=township)
        assert response.status_code == 403, change
    assert (await client.delete("/posts/post-daping-anquan", headers=township)).status_code == 403
    assert (await client.get("/posts/post-daping-anquan", headers=office)).json()[
        "holder_person_id"
    ] == "p-wuli"
    # A department may not make itself the county's safety office.
    department = await login("zhujian")
    flag = await client.patch(
        "/units/dep-zhujian", json={"is_safety_office": True}, headers=department
    )
    assert flag.status_code == 403


async def test_a_mobile_registered_outside_ones_scope_is_no_oracle(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    enterprise = await login("hongxing")

    async def add(mobile: str) -> httpx.Response:
        person = {"unit_id": "ent-hongxing", "name": "新员工", "mobile": mobile}
        return await client.post("/people", json=person, headers=enterprise)

    # 13800000001 is the county principal's, out of the enterprise's scope; 13700000099 is free.
    taken_elsewhere, free = await add("13800000001"), await add("13700000099")
    assert (taken_elsewhere.status_code, free.status_code) == (201, 201)
    # Within its own scope the number is still one person's.
    own = await add("13800001001")
    assert own.status_code == 409
    assert (await add("13700000099")).status_code == 409


async def test_directory_and_account_changes_are_audited(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    me = (await client.get("/auth/me", headers=office)).json()
    patched = await client.patch(
        "/posts/post-fuxianzhang-chen", json={"portfolio_unit_ids": ["dep-zhujian"]}, headers=office
    )
    assert patched.status_code == 200, patched.text
    daping = (await client.get("/users", headers=office)).json()
    daping_id = next(u["id"] for u in daping if u["username"] == "daping")
    locked = await client.patch(f"/users/{daping_id}", json={"active": False}, headers=office)
    assert locked.status_code == 200
    reset = await client.patch(
        f"/users/{daping_id}", json={"password": "Xin-mima-2026-xiangli"}, headers=office
    )
    assert reset.status_code == 200, reset.text
    async with app.state.sessionmaker() as session:
        rows = list(await session.scalars(select(AuditRow).order_by(AuditRow.id)))
    by_action: dict[str, list[AuditRow]] = {}
    for row in rows:
        by_action.setdefault(row.action, []).append(row)
    (post,) = by_action["directory.post_updated"]
    assert (post.chain_key, post.actor_user_id, post.actor_role) == (
        "post:post-fuxianzhang-chen",
        me["id"],
        "county_office",
    )
    assert post.before is not None and post.after is not None
    assert post.before["portfolio_unit_ids"] == ["dep-jiaotong", "dep-zhujian", "tw-matoupu"]
    assert post.after["portfolio_unit_ids"] == ["dep-zhujian"]
    (lock,) = by_action["account.updated"]
    assert lock.before is not None and lock.after is not None
    assert (lock.before["active"], lock.after["active"]) == (True, False)
    (password,) = by_action["account.password_changed"]
    after: dict[str, Any] = password.after or {}
    assert after["password_changed"] is True
    assert "password_hash" not in after and "argon2" not in str(after)
    assert [r.seq for r in rows if r.chain_key == f"user:{daping_id}"] == [1, 2]
    verified = await client.get("/audit/verify", headers=office)
    assert verified.json()["ok"] is True
