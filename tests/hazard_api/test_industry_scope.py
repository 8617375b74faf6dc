"""A department supervises the industries it regulates (管行业必须管安全): an enterprise of
one is in its scope (units, hazard lists, hazard detail, the chain) without a manual link."""

from __future__ import annotations

from typing import Any

import httpx

from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import Login

HAZARD = {
    "location": "施工现场东侧",
    "description": "脚手架连墙件缺失，临边防护不到位",
    "source": "inspection",
    "found_at": "2026-03-05T02:00:00Z",
}


async def _enterprise(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, industry: str
) -> str:
    # No supervising_department_ids: nobody links it to a department.
    body = {
        "kind": "enterprise",
        "name": name,
        "area_code": "430723",
        "territorial_unit_id": "tw-matoupu",
        "industry_code": industry,
    }
    created = await client.post("/units", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["supervising_department_ids"] == []
    return str(created.json()["id"])


async def _hazard(client: httpx.AsyncClient, headers: dict[str, str], unit_id: str) -> Any:
    reported = await client.post("/hazards", json=HAZARD | {"unit_id": unit_id}, headers=headers)
    assert reported.status_code == 201, reported.text
    return reported.json()


async def test_a_department_sees_the_enterprises_of_its_industry_without_a_link(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    office = await login("office")
    # 住建局 regulates E47 (房屋建筑业) and D45; 交通运输局 E48 (土木工程建筑业).
    housing = await _enterprise(client, office, "城南住宅建设有限公司", "E4710")
    road = await _enterprise(client, office, "城北公路养护有限公司", "E4812")
    housing_hazard = await _hazard(client, office, housing)
    road_hazard = await _hazard(client, office, road)
    assert housing_hazard["department_ids"] == ["dep-zhujian"]
    assert road_hazard["department_ids"] == ["dep-jiaotong"]

    zhujian = await login("zhujian")
    units = await client.get("/units", params={"limit": 500}, headers=zhujian)
    visible = {u["id"] for u in units.json()}
    assert housing in visible and road not in visible
    listed = await client.get("/hazards", params={"page_size": 100}, headers=zhujian)
    assert listed.status_code == 200, listed.text
    ids = {h["id"] for h in listed.json()["items"]}
    assert housing_hazard["id"] in ids and road_hazard["id"] not in ids
    detail = await client.get(f"/hazards/{housing_hazard['id']}", headers=zhujian)
    assert detail.status_code == 200, detail.text
    assert (await client.get(f"/hazards/{road_hazard['id']}", headers=zhujian)).status_code == 404
    chain = await client.get(f"/units/{housing}/chain", headers=zhujian)
    assert chain.status_code == 200, chain.text
    heads = [
        (c["person_name"], c["department_name"])
        for c in chain.json()["links"]
        if c["role"] == "department.head"
    ]
    assert heads == [("高阳", "住建局")]
    assert (await client.get(f"/units/{road}/chain", headers=zhujian)).status_code == 404

    # The county office's list by department takes the industry in as well.
    by_department = await client.get(
        "/hazards", params={"department_id": "dep-zhujian", "page_size": 100}, headers=office
    )
    ids = {h["id"] for h in by_department.json()["items"]}
    assert housing_hazard["id"] in ids and road_hazard["id"] not in ids

    # Once 住建局 no longer regulates house building, the enterprise leaves its scope.
    narrowed = await client.patch(
        "/units/dep-zhujian", json={"regulated_industry_codes": ["D45"]}, headers=office
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["regulated_industry_codes"] == ["D45"]
    gone = await client.get(f"/hazards/{housing_hazard['id']}", headers=zhujian)
    assert gone.status_code == 404


async def test_only_the_county_office_assigns_a_departments_industries(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    zhujian = await login("zhujian")
    widened = await client.patch(
        "/units/dep-zhujian",
        json={"regulated_industry_codes": ["E47", "D45", "C"]},
        headers=zhujian,
    )
    assert widened.status_code == 403, widened.text
    assert "只有县安委办可以指定部门监管的行业" in widened.text
    # a name change keeps the industries as they are
    renamed = await client.patch(
        "/units/dep-zhujian", json={"name": "住房和城乡建设局"}, headers=zhujian
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["regulated_industry_codes"] == ["D45", "E47"]
    office = await login("office")
    wrong_kind = await client.patch(
        "/units/tw-daping", json={"regulated_industry_codes": ["E47"]}, headers=office
    )
    assert wrong_kind.status_code == 422
    assert "只有部门可以指定监管的行业" in wrong_kind.text
    bad_code = await client.patch(
        "/units/dep-zhujian", json={"regulated_industry_codes": ["房屋"]}, headers=office
    )
    assert bad_code.status_code == 422
