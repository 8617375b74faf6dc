"""Directory CRUD: units, people, posts; each change's org event is in the outbox."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.hazard_api.db import outbox_tables
from services.hazard_api.directory.seed import DemoCounty
from shared.contract import ORG_EVENTS, Envelope
from tests.hazard_api.conftest import Login

ENTERPRISE = {
    "kind": "enterprise",
    "name": "新兴烟花有限公司",
    "area_code": "430723",
    "territorial_unit_id": "tw-daping",
    "industry_code": "C2672",
    "industry_name": "焰火、鞭炮产品制造",
    "supervising_department_ids": ["dep-yingji", "dep-gongan"],
    "high_risk": True,
}


async def _outbox(app: FastAPI, key: str) -> list[tuple[str, Envelope]]:
    o = outbox_tables.outbox
    async with app.state.engine.connect() as conn:
        rows = (
            await conn.execute(select(o.c.topic, o.c.value).where(o.c.key == key).order_by(o.c.id))
        ).all()
    return [(row.topic, Envelope.model_validate_json(row.value)) for row in rows]


async def test_unit_lifecycle_emits_full_state_events(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("daping")
    created = await client.post("/units", json=ENTERPRISE, headers=headers)
    assert created.status_code == 201, created.text
    unit = created.json()
    assert unit["parent_id"] == "tw-daping"
    assert unit["township_id"] == "tw-daping"
    assert unit["status"] == "operating"
    assert unit["supervising_department_ids"] == ["dep-gongan", "dep-yingji"]

    patched = await client.patch(
        f"/units/{unit['id']}", json={"status": "suspended"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "suspended"
    assert patched.json()["name"] == ENTERPRISE["name"]

    events = await _outbox(app, unit["id"])
    assert [topic for topic, _ in events] == [ORG_EVENTS, ORG_EVENTS]
    assert [e.type for _, e in events] == ["org.unit_upserted", "org.unit_upserted"]
    last = events[-1][1]
    assert last.aggregate_id == unit["id"]
    assert last.payload == {
        "unit_id": unit["id"],
        "kind": "enterprise",
        "name": "新兴烟花有限公司",
        "area_code": "430723",
        "parent_id": "tw-daping",
        "is_safety_office": False,
        "credit_code": None,
        "industry_code": "C2672",
        "industry_name": "焰火、鞭炮产品制造",
        "territorial_unit_id": "tw-daping",
        "supervising_department_ids": ["dep-gongan", "dep-yingji"],
        "high_risk": True,
        "status": "suspended",
        "regulated_industry_codes": [],
    }


async def test_people_and_posts_emit_their_events(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    person = await client.post(
        "/people",
        json={
            "unit_id": "tw-daping",
            "name": "钟华",
            "mobile": "139 0000 9999",
            "email": "zh@example.cn",
        },
        headers=headers,
    )
    assert person.status_code == 201, person.text
    person_id = person.json()["id"]
    assert person.json()["mobile"] == "13900009999"
    post = await client.post(
        "/posts",
        json={
            "unit_id": "county",
            "role": "leadership_member",
            "title": "副县长",
            "holder_person_id": person_id,
            "acting": True,
            "portfolio_unit_ids": ["dep-jiaoyu"],
            "portfolio_industry_codes": ["p83"],
        },
        headers=headers,
    )
    assert post.status_code == 201, post.text
    post_id = post.json()["id"]
    assert post.json()["portfolio_industry_codes"] == ["P83"]
    listed = await client.get("/posts", params={"holder_person_id": person_id}, headers=headers)
    assert [p["id"] for p in listed.json()] == [post_id]

    renamed = await client.patch(f"/people/{person_id}", json={"active": False}, headers=headers)
    assert renamed.status_code == 200
    removed = await client.delete(f"/posts/{post_id}", headers=headers)
    assert removed.status_code == 204
    assert (await client.get(f"/posts/{post_id}", headers=headers)).status_code == 404

    person_events = await _outbox(app, person_id)
    assert [e.type for _, e in person_events] == ["org.person_upserted"] * 2
    assert person_events[-1][1].payload == {
        "person_id": person_id,
        "name": "钟华",
        "mobile": "13900009999",
        "email": "zh@example.cn",
        "active": False,
    }
    post_events = await _outbox(app, post_id)
    assert [e.type for _, e in post_events] == ["org.post_upserted", "org.post_removed"]
    assert post_events[0][1].payload["portfolio_unit_ids"] == ["dep-jiaoyu"]
    assert post_events[0][1].payload["acting"] is True
    assert post_events[1][1].payload == {"post_id": post_id, "unit_id": "county"}


async def test_seeding_emits_the_whole_directory_once(app: FastAPI, seeded: DemoCounty) -> None:
    o = outbox_tables.outbox
    async with app.state.engine.connect() as conn:
        types = (await conn.execute(select(o.c.value))).scalars().all()
    counted: dict[str, int] = {}
    for raw in types:
        kind = Envelope.model_validate_json(raw).type
        counted[kind] = counted.get(kind, 0) + 1
    units = 1 + len(seeded.townships) + len(seeded.villages) + len(seeded.departments)
    # An enterprise under a 停产整顿 order is upserted again as suspended by its order.
    orders = len([e for e in seeded.enterprises if e.suspension])
    assert orders == 1
    assert counted == {
        "org.unit_upserted": units + len(seeded.enterprises) + orders,
        "org.person_upserted": len({p.holder.id for p in seeded.posts if p.holder}),
        "org.post_upserted": len(seeded.posts),
        "suspension.event": orders,
    }


async def test_a_refused_change_leaves_no_event(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    first = await client.post("/units", json=ENTERPRISE, headers=headers)
    assert first.status_code == 201
    before = await _count(app)
    duplicate = await client.post("/units", json=ENTERPRISE, headers=headers)
    assert duplicate.status_code == 409
    taken = await client.post(
        "/people",
        json={"unit_id": "county", "name": "重号", "mobile": "13800000001"},
        headers=headers,
    )
    assert taken.status_code == 409
    assert await _count(app) == before


async def _count(app: FastAPI) -> int:
    async with app.state.engine.connect() as conn:
        return len((await conn.execute(select(outbox_tables.outbox.c.id))).all())


async def test_township_may_only_create_inside_its_territory(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("daping")
    elsewhere = {**ENTERPRISE, "territorial_unit_id": "tw-matoupu"}
    response = await client.post("/units", json=elsewhere, headers=headers)
    assert response.status_code == 403
    # A department creates enterprises it supervises, nothing else.
    department = await login("zhujian")
    not_ours = await client.post("/units", json=ENTERPRISE, headers=department)
    assert not_ours.status_code == 403
    ours = {
        **ENTERPRISE,
        "name": "宏达建筑",
        "industry_code": "E4790",
        "supervising_department_ids": ["dep-zhujian"],
    }
    assert (await client.post("/units", json=ours, headers=department)).status_code == 201


async def test_moving_a_village_moves_its_enterprises(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    moved = await client.patch(
        "/units/vl-shuangfeng", json={"parent_id": "tw-matoupu"}, headers=office
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["township_id"] == "tw-matoupu"
    enterprise = (await client.get("/units/ent-jinlong", headers=office)).json()
    assert enterprise["township_id"] == "tw-matoupu"
    assert (
        await client.get("/units/ent-jinlong", headers=await login("daping"))
    ).status_code == 404
    chain = (await client.get("/units/ent-jinlong/chain", headers=office)).json()
    principals = [
        c["person_name"]
        for c in chain["links"]
        if c["role"] == "township.principal" and c["covering_for"] is None
    ]
    assert principals == ["马斌"]


def _fields(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    return {e["field"]: e["message"] for e in body["errors"]}


async def test_enterprises_and_townships_keep_their_own_people_and_posts(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    enterprise = await login("hongxing")
    person = await client.post(
        "/people", json={"unit_id": "ent-hongxing", "name": "新安全员"}, headers=enterprise
    )
    assert person.status_code == 201, person.text
    manager = await client.patch(
        "/posts/post-hongxing-aq",
        json={"holder_person_id": person.json()["id"]},
        headers=enterprise,
    )
    assert manager.status_code == 200, manager.text
    # Not for another enterprise: its unit is not in scope.
    elsewhere = await client.post(
        "/people", json={"unit_id": "ent-huayu", "name": "某人"}, headers=enterprise
    )
    assert _fields(elsewhere) == {"unit_id": "单位不存在或不在您的管辖范围内"}
    assert (await client.get("/posts/post-huayu-aq", headers=enterprise)).status_code == 404

    township = await login("daping")
    vacancy = await client.post(
        "/posts",
        json={"unit_id": "ent-shifeng", "role": "clerk", "title": "统计员"},
        headers=township,
    )
    assert vacancy.status_code == 201, vacancy.text
    assert vacancy.json()["holder_person_id"] is None
    other = await client.post(
        "/posts",
        json={"unit_id": "ent-jiancheng", "role": "clerk", "title": "统计员"},
        headers=township,
    )
    assert _fields(other) == {"unit_id": "单位不存在或不在您的管辖范围内"}


async def test_only_an_enterprise_is_marked_high_risk(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    marked = await client.patch("/units/tw-daping", json={"high_risk": True}, headers=headers)
    assert marked.status_code == 422, marked.text
    assert "只有企业可以标记为高危行业" in marked.text
    unit = (await client.get("/units/tw-daping", headers=headers)).json()
    assert unit["high_risk"] is False
