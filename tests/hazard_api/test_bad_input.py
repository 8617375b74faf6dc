"""Bad input answers 4xx with field-level Chinese messages, never 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.hazard_api.directory.seed import DemoCounty
from tests.hazard_api.conftest import Login

TOWNSHIP = {"kind": "township", "name": "新城街道", "area_code": "430723", "parent_id": "county"}


def _errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["detail"] == "请求参数有误"
    return {e["field"]: e["message"] for e in body["errors"]}


async def test_malformed_json_is_422(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = {**await login("office"), "Content-Type": "application/json"}
    response = await client.post(
        "/units", content=b'{"kind": "township", "name": ', headers=headers
    )
    errors = _errors(response)
    assert list(errors.values()) == ["请求体不是合法的 JSON"]


@pytest.mark.parametrize(
    ("area_code", "message"),
    [
        ("43072", "行政区划代码须为6位数字（GB/T 2260），例如 430725"),
        ("4307230", "行政区划代码须为6位数字（GB/T 2260），例如 430725"),
        ("99a723", "行政区划代码须为6位数字（GB/T 2260），例如 430725"),
        ("990723", "行政区划代码须为6位数字（GB/T 2260），例如 430725"),  # no province 99
    ],
)
async def test_area_code_must_be_six_gb2260_digits(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, area_code: str, message: str
) -> None:
    response = await client.post(
        "/units", json={**TOWNSHIP, "area_code": area_code}, headers=await login("office")
    )
    assert _errors(response) == {"area_code": message}


@pytest.mark.parametrize("mobile", ["0736-3221234", "07363221234", "1380000000", "12800000000"])
async def test_mobile_must_be_a_mainland_mobile_number(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, mobile: str
) -> None:
    response = await client.post(
        "/people",
        json={"unit_id": "tw-daping", "name": "张三", "mobile": mobile},
        headers=await login("office"),
    )
    assert _errors(response) == {"mobile": "手机号码须为11位大陆手机号，例如 13812345678"}


async def test_unknown_roles_are_422(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    post = await client.post(
        "/posts", json={"unit_id": "tw-daping", "role": "boss", "title": "老板"}, headers=headers
    )
    assert _errors(post) == {"role": "取值不在允许范围内"}
    user = await client.post(
        "/users",
        json={"username": "root", "password": "long-enough", "role": "admin", "unit_id": "county"},
        headers=headers,
    )
    assert _errors(user) == {"role": "取值不在允许范围内"}
    kind = await client.post("/units", json={**TOWNSHIP, "kind": "province"}, headers=headers)
    assert _errors(kind) == {"kind": "取值不在允许范围内"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/units", {**TOWNSHIP, "parent_id": "no-such-unit"}, "parent_id"),
        ("/units", {**TOWNSHIP, "kind": "village"}, "parent_id"),  # a village under the county
        ("/units", {**TOWNSHIP, "parent_id": None}, "parent_id"),
        ("/units", {**TOWNSHIP, "industry_code": "C2672"}, "industry_code"),
        (
            "/units",
            {
                "kind": "enterprise",
                "name": "无行业企业",
                "area_code": "430723",
                "territorial_unit_id": "tw-daping",
            },
            "industry_code",
        ),
        (
            "/units",
            {
                "kind": "enterprise",
                "name": "错误监管",
                "area_code": "430723",
                "territorial_unit_id": "tw-daping",
                "industry_code": "C2672",
                "supervising_department_ids": ["tw-matoupu"],
            },
            "supervising_department_ids",
        ),
        ("/units", {**TOWNSHIP, "unexpected": 1}, "unexpected"),
        ("/units", {**TOWNSHIP, "name": "新\x00城"}, "name"),
        ("/units", {**TOWNSHIP, "parent_id": "县/../x"}, "parent_id"),
        ("/people", {"unit_id": "no-such-unit", "name": "张三"}, "unit_id"),
        ("/people", {"unit_id": "county", "name": "张三", "email": "not-an-email"}, "email"),
        ("/people", {"unit_id": "county", "name": ""}, "name"),
        (
            "/posts",
            {
                "unit_id": "county",
                "role": "principal",
                "title": "县长",
                "holder_person_id": "nobody",
            },
            "holder_person_id",
        ),
        (
            "/posts",
            {
                "unit_id": "tw-daping",
                "role": "clerk",
                "title": "文书",
                "portfolio_unit_ids": ["county"],
            },
            "portfolio_unit_ids",
        ),
        (
            "/posts",
            {"unit_id": "county", "role": "leadership_member", "title": "副县长", "acting": True},
            "acting",
        ),
        (
            "/posts",
            {
                "unit_id": "county",
                "role": "leadership_member",
                "title": "副县长",
                "portfolio_industry_codes": ["化工"],
            },
            "portfolio_industry_codes.0",
        ),
    ],
)
async def test_wrong_values_name_their_field(
    client: httpx.AsyncClient,
    seeded: DemoCounty,
    login: Login,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    errors = _errors(await client.post(path, json=body, headers=await login("office")))
    assert list(errors) == [field]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in errors.values())


async def test_unknown_ids_are_404_and_bad_queries_422(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    headers = await login("office")
    for path in ("/units/x", "/units/x/chain", "/people/x", "/posts/x"):
        assert (await client.get(path, headers=headers)).status_code == 404, path
    assert (
        await client.patch("/people/x", json={"name": "甲"}, headers=headers)
    ).status_code == 404
    assert (await client.delete("/posts/x", headers=headers)).status_code == 404
    # An id that cannot exist (NUL, too long) is refused before any query runs.
    assert _errors(await client.get("/units/a%00b", headers=headers)) == {
        "path.unit_id": "格式不正确"
    }
    assert _errors(await client.get("/people/" + "p" * 37, headers=headers))
    nul_login = await client.post("/auth/token", data={"username": "off\x00ice", "password": "x"})
    assert nul_login.status_code == 401
    assert _errors(await client.get("/units", params={"kind": "planet"}, headers=headers))
    assert _errors(await client.get("/units", params={"limit": 0}, headers=headers))
    # A patch that clears a required field is refused, not crashed on.
    cleared = await client.patch("/people/p-zhoujun", json={"name": None}, headers=headers)
    assert _errors(cleared) == {"name": "此项不能为空"}
    nulled = await client.patch("/units/tw-daping", json={"name": None}, headers=headers)
    assert nulled.status_code == 422


async def test_token_form_without_fields_is_422(client: httpx.AsyncClient) -> None:
    errors = _errors(await client.post("/auth/token", data={"username": "office"}))
    assert errors == {"password": "必填项缺失"}


async def test_a_body_over_the_limit_is_413_before_parsing(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    """#17: JSON and form bodies are bounded (HAZARD_API_MAX_BODY_BYTES, 1 MB)."""
    headers = await login("office")
    big = {**TOWNSHIP, "name": "新" * 400_000}  # 1.2 MB of UTF-8
    answer = await client.post("/units", json=big, headers=headers)
    assert answer.status_code == 413
    assert answer.json() == {"detail": "请求体过大（上限 1 MB），请拆分后再提交"}
    form = await client.post("/auth/token", data={"username": "x", "password": "p" * 1_100_000})
    assert form.status_code == 413
    # A body without Content-Length (streamed) is counted as it arrives.

    async def chunks() -> Any:
        for _ in range(20):
            yield b" " * 65_536

    streamed = await client.post(
        "/units", content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    small = await client.post("/units", json={**TOWNSHIP, "name": "新城"}, headers=headers)
    assert small.status_code < 500 and small.status_code != 413
