"""GET /units/{id}/chain: the 一岗双责 chain read from the directory, vacancies falling through."""

from __future__ import annotations

from typing import Any

import httpx

from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import Login


def _by_role(chain: dict[str, Any]) -> dict[str, list[tuple[str, str | None, bool]]]:
    """role → [(person name, covering_for, acting)] as the chain lists them."""
    out: dict[str, list[tuple[str, str | None, bool]]] = {}
    for link in chain["links"]:
        key = link["covering_for"] or link["role"]
        out.setdefault(key, []).append((link["person_name"], link["covering_for"], link["acting"]))
    return out


async def test_chain_of_an_enterprise_in_a_township_under_a_department(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    # 建成建筑 lies in 码头铺镇 and is supervised by 住建局;
    # 副县长陈卫东 covers 住建局 and 码头铺镇.
    headers = await login("office")
    response = await client.get("/units/ent-jiancheng/chain", headers=headers)
    assert response.status_code == 200, response.text
    chain = response.json()
    assert chain["unit_name"] == "建成建筑工程有限公司"
    assert _by_role(chain) == {
        "enterprise.principal": [("程建", None, False)],
        "enterprise.safety_manager": [("程安", None, False)],
        "township.principal": [("马斌", None, False)],
        "township.in_charge": [("罗霞", None, False)],
        "township.party_secretary": [("马斌", "township.party_secretary", False)],
        "department.head": [("高阳", None, False)],
        "department.in_charge": [("徐明", None, False)],
        "county.portfolio_leader": [("陈卫东", None, False)],
        "county.safety_leader": [("王志强", None, False)],
        "county.principal": [("李建国", None, False)],
        "county.party_secretary": [("李建国", "county.party_secretary", False)],
        "county_office": [("黄涛", None, False), ("林芳", None, False)],
    }
    first = chain["links"][0]
    assert first["mobile"] == "13800001051"
    assert first["post_title"] == "总经理"
    assert (first["role_label"], first["covering_for_label"]) == ("企业主要负责人", "")
    assert first["unit_id"] == "ent-jiancheng"


async def test_vacant_township_principal_falls_through_to_the_next_holder(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    vacate = await client.patch(
        "/posts/post-mtp-zhenzhang", json={"holder_person_id": None}, headers=headers
    )
    assert vacate.status_code == 200, vacate.text
    assert vacate.json()["holder_person_id"] is None
    assert vacate.json()["role_label"] == "主要负责人"

    chain = (await client.get("/units/ent-jiancheng/chain", headers=headers)).json()
    covering = [link for link in chain["links"] if link["covering_for"] == "township.principal"]
    assert [(c["role"], c["person_name"], c["unit_id"]) for c in covering] == [
        ("county.portfolio_leader", "陈卫东", "county")
    ]
    assert [(c["role_label"], c["covering_for_label"]) for c in covering] == [
        ("县分管领导", "乡镇（街道）主要负责人")
    ]
    assert not [link for link in chain["links"] if link["role"] == "township.principal"]


async def test_acting_holders_and_several_departments_are_listed(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    # 通达路桥 (王家厂镇, 代镇长 acting) is supervised by 交通运输局 and 住建局.
    headers = await login("office")
    chain = _by_role((await client.get("/units/ent-tongda/chain", headers=headers)).json())
    assert chain["township.principal"] == [("孙鹏", None, True)]
    assert sorted(name for name, _, _ in chain["department.head"]) == ["唐辉", "高阳"]
    assert sorted(name for name, _, _ in chain["county.portfolio_leader"]) == ["赵敏", "陈卫东"]


async def test_vacant_enterprise_safety_manager_falls_to_the_principal(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    # 金龙鞭炮厂's 安全员 post is vacant in the demo data.
    headers = await login("office")
    chain = (await client.get("/units/ent-jinlong/chain", headers=headers)).json()
    covering = [c for c in chain["links"] if c["covering_for"] == "enterprise.safety_manager"]
    assert [(c["role"], c["person_name"]) for c in covering] == [("enterprise.principal", "金大龙")]
