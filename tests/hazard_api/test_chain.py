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
        "township.party_secretary": [("姚芬", None, False)],
        "department.head": [("高阳", None, False)],
        "department.in_charge": [("徐明", None, False)],
        "county.portfolio_leader": [("陈卫东", None, False)],
        "county.safety_leader": [("王志强", None, False)],
        "county.principal": [("李建国", None, False)],
        "county.party_secretary": [("钟华", None, False)],
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
    # 通达路桥 (王家厂镇, 代镇长 acting) is supervised by 住建局 (linked) and 交通运输局 (it
    # regulates road construction, E48; no link).
    headers = await login("office")
    chain = _by_role((await client.get("/units/ent-tongda/chain", headers=headers)).json())
    assert chain["township.principal"] == [("孙鹏", None, True)]
    assert sorted(name for name, _, _ in chain["department.head"]) == ["唐辉", "高阳"]
    assert sorted(name for name, _, _ in chain["county.portfolio_leader"]) == ["赵敏", "陈卫东"]


async def test_two_departments_each_with_its_chain_and_the_vacancy_stays_inside_its_own(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    # 交通运输局's deputy post is vacant (demo data): its duty falls to 交通运输局's head, never
    # to 住建局's deputy or head.
    headers = await login("office")
    chain = (await client.get("/units/ent-tongda/chain", headers=headers)).json()
    department_links = [
        (c["role"], c["covering_for"], c["person_name"], c["department_name"])
        for c in chain["links"]
        if c["department_id"] is not None
    ]
    assert department_links == [
        ("department.head", None, "唐辉", "交通运输局"),
        ("department.head", None, "高阳", "住建局"),
        ("department.head", "department.in_charge", "唐辉", "交通运输局"),
        ("department.in_charge", None, "徐明", "住建局"),
    ]
    covering = next(c for c in chain["links"] if c["covering_for"] == "department.in_charge")
    assert (covering["role_label"], covering["covering_for_label"]) == (
        "行业监管部门主要负责人",
        "行业监管部门分管负责人",
    )


async def test_an_enterprise_no_department_supervises_goes_to_the_county_office(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    created = await client.post(
        "/units",
        json={
            "kind": "enterprise",
            "name": "大坪乡农家乐",
            "area_code": "430723",
            "territorial_unit_id": "tw-daping",
            "industry_code": "H6210",  # 正餐服务: no department regulates it, none linked
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    chain = (await client.get(f"/units/{created.json()['id']}/chain", headers=headers)).json()
    department_duty = [
        (c["role"], c["person_name"])
        for c in chain["links"]
        if c["covering_for"] in ("department.head", "department.in_charge")
    ]
    # 县安委办 (its head and deputy) for each department-level role, no county leader
    assert department_duty == [("county_office", "黄涛"), ("county_office", "林芳")] * 2


async def test_acting_period_and_handover_are_read_by_date(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    # The clock stands at 2026-03-06 (Friday). 吴丽 stands in for 乡长周军 from 9 to 13 March;
    # 大坪乡's party secretary hands over to 新书记 on 16 March.
    headers = await login("office")
    acting = await client.patch(
        "/posts/post-daping-xiangzhang",
        json={
            "acting_person_id": "p-wuli",
            "acting_from": "2026-03-09",
            "acting_until": "2026-03-13",
        },
        headers=headers,
    )
    assert acting.status_code == 200, acting.text
    person = await client.post(
        "/people",
        json={"unit_id": "tw-daping", "name": "新书记", "mobile": "13800000099"},
        headers=headers,
    )
    assert person.status_code == 201, person.text
    handover = await client.patch(
        "/posts/post-daping-shuji",
        json={
            "holder_person_id": person.json()["id"],
            "holder_from": "2026-03-16",
            "previous_holder_person_id": "p-heping",
        },
        headers=headers,
    )
    assert handover.status_code == 200, handover.text

    async def on(day: str | None) -> dict[str, list[tuple[str, str | None, bool]]]:
        params = {"on": day} if day else {}
        response = await client.get("/units/ent-hongxing/chain", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return _by_role(response.json())

    today = await on(None)
    assert today["township.principal"] == [("周军", None, False)]
    assert today["township.party_secretary"] == [("贺平", None, False)]
    assert (await on("2026-03-09"))["township.principal"] == [("吴丽", None, True)]
    assert (await on("2026-03-13"))["township.principal"] == [("吴丽", None, True)]
    assert (await on("2026-03-14"))["township.principal"] == [("周军", None, False)]
    assert (await on("2026-03-15"))["township.party_secretary"] == [("贺平", None, False)]
    assert (await on("2026-03-16"))["township.party_secretary"] == [("新书记", None, False)]


async def test_acting_and_handover_input_is_checked(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    cases = [
        ({"acting_from": "2026-03-09"}, "填写代理期间须同时指定代理人员"),
        (
            {
                "acting_person_id": "p-wuli",
                "acting_from": "2026-03-13",
                "acting_until": "2026-03-09",
            },
            "代理结束日期不能早于开始日期",
        ),
        ({"acting_person_id": "p-nobody"}, "任职人员不存在"),
        ({"previous_holder_person_id": "p-heping"}, "指定前任须同时填写交接日期"),
        ({"acting_person_id": "p-zhoujun"}, "代理人员不能是本岗位的任职人员"),
    ]
    for body, message in cases:
        response = await client.patch("/posts/post-daping-xiangzhang", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert message in response.text, (body, response.text)
    bad_date = await client.get(
        "/units/ent-hongxing/chain", params={"on": "2026-02-30"}, headers=headers
    )
    assert bad_date.status_code == 422


async def test_vacant_enterprise_safety_manager_falls_to_the_principal(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    # 金龙鞭炮厂's 安全员 post is vacant in the demo data.
    headers = await login("office")
    chain = (await client.get("/units/ent-jinlong/chain", headers=headers)).json()
    covering = [c for c in chain["links"] if c["covering_for"] == "enterprise.safety_manager"]
    assert [(c["role"], c["person_name"]) for c in covering] == [("enterprise.principal", "金大龙")]
