"""The scope filter: every role sees exactly its part of the directory; the rest answers 404."""

from __future__ import annotations

import httpx
import pytest

from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import Login

ALL_ENTERPRISES = {
    "ent-hongxing", "ent-jinlong", "ent-huayu", "ent-lantian", "ent-zhongshi", "ent-jiancheng",
    "ent-tongda", "ent-shifeng", "ent-hesha", "ent-ranqi", "ent-yehuaqi", "ent-chaoshi",
}  # fmt: skip


async def _visible(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    response = await client.get("/units", params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    return {u["id"] for u in response.json()}


async def test_township_user_sees_only_its_territory(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("daping")
    assert await _visible(client, headers) == {
        "tw-daping", "vl-shuangfeng", "ent-hongxing", "ent-jinlong", "ent-shifeng", "ent-chaoshi",
    }  # fmt: skip
    # Another township's enterprise does not exist for this user: 404, not 403.
    for path in (
        "/units/ent-jiancheng",
        "/units/ent-jiancheng/chain",
        "/units/tw-matoupu",
        "/posts/post-jiancheng-fzr",
        "/people/p-jiancheng-1",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
    assert (await client.get("/units/nonexistent", headers=headers)).json() == (
        await client.get("/units/ent-jiancheng", headers=headers)
    ).json()
    patched = await client.patch("/units/ent-jiancheng", json={"name": "改名"}, headers=headers)
    assert patched.status_code == 404
    # Its own enterprise, also one lying in a village of the township, are there.
    for path in ("/units/ent-hongxing", "/units/ent-jinlong/chain", "/people/p-hongxing-1"):
        assert (await client.get(path, headers=headers)).status_code == 200, path
    people = await client.get("/people", params={"limit": 500}, headers=headers)
    assert {p["unit_id"] for p in people.json()} == {"tw-daping", "ent-hongxing", "ent-jinlong",
                                                     "ent-shifeng", "ent-chaoshi"}  # fmt: skip


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        (
            "zhujian",
            {"dep-zhujian", "ent-jiancheng", "ent-tongda", "ent-ranqi", "ent-yehuaqi"},
        ),
        ("hongxing", {"ent-hongxing"}),
        (
            # 副县长陈卫东: own unit; 住建局, 交通运输局 and what they supervise; 码头铺镇's
            # territory; industries E47, E48, D45.
            "fuxianzhang",
            {
                "county",
                "dep-zhujian",
                "dep-jiaotong",
                "tw-matoupu",
                "vl-hexi",
                "ent-jiancheng",
                "ent-tongda",
                "ent-ranqi",
                "ent-yehuaqi",
                "ent-lantian",
                "ent-zhongshi",
            },
        ),
    ],
)
async def test_each_role_sees_its_part(
    client: httpx.AsyncClient,
    seeded: DemoCounty,
    login: Login,
    username: str,
    expected: set[str],
) -> None:
    assert await _visible(client, await login(username)) == expected


async def test_county_office_and_county_bound_integration_see_everything(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await _visible(client, await login("office"))
    assert office >= ALL_ENTERPRISES | {"county", "tw-daping", "dep-yingji"}
    assert await _visible(client, await login("shiji")) == office


async def test_county_principal_as_leader_sees_the_whole_county(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    account = {
        "username": "xianzhang",
        "password": "county-head-password",
        "role": "leader",
        "unit_id": "county",
        "person_id": "p-lijianguo",
    }
    assert (await client.post("/users", json=account, headers=office)).status_code == 201
    everything = await _visible(client, office)
    assert await _visible(client, await login("xianzhang", "county-head-password")) == everything
