"""Directory import/export through the XLSX spreadsheet: the template, a round trip of the demo
county into an empty database (CLI, with --dry-run first), all-or-nothing with every bad row
named, re-import without change or event, upsert by credit code."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook

from services.hazard_api.db import MIGRATIONS_DIR
from services.hazard_api.directory.seed import DemoCounty
from services.hazard_api.directory.sheets import GUIDE_TITLE, SHEETS
from shared.migrations import upgrade_async
from tests.conftest import DatabaseFactory
from tests.hazard_api.conftest import Login
from tests.hazard_api.directory_files import (
    counts,
    credit_code,
    edited,
    export,
    org_events,
    snapshot_of,
    upload,
)
from tests.hazard_api.test_cli import duban


async def test_template_has_the_sheets_headers_and_lists(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login
) -> None:
    response = await client.get("/directory/template", headers=await login("daping"))
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [GUIDE_TITLE, "单位", "企业", "人员", "岗位", "分管范围", "行业监管"]
    for sheet in SHEETS:
        ws = book[sheet.title]
        assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
        assert ws.max_row == 1  # no example rows to import by mistake: they are in the guide
        lists = {
            str(v.sqref).split(":")[0]: v.formula1
            for v in ws.data_validations.dataValidation
            if v.type == "list"
        }
        for index, column in enumerate(sheet.columns):
            cell = f"{chr(ord('A') + index)}2"
            if column.choices:
                assert lists[cell] == '"' + ",".join(column.choices) + '"'
            else:
                assert cell not in lists
        assert all(c.comment is not None for c in ws[1])
    assert book["单位"].data_validations.dataValidation[0].formula1 == (
        '"县（市、区）,乡镇（街道）,村（社区）,部门"'
    )
    assert '"主要负责人,分管安全负责人,班子成员,安全管理人员,工作人员,党委书记"' in [
        v.formula1 for v in book["岗位"].data_validations.dataValidation
    ]
    guide = "\n".join(str(c.value) for row in book[GUIDE_TITLE].iter_rows() for c in row)
    assert "示例（一行）" in guide and "tw-daping" in guide


async def test_demo_county_round_trips_into_an_empty_database_by_the_cli(
    app: FastAPI,
    client: httpx.AsyncClient,
    seeded: DemoCounty,
    login: Login,
    hazard_db: str,
    db_kind: str,
    make_database_url: DatabaseFactory,
    tmp_path: Path,
) -> None:
    file = tmp_path / "县目录.xlsx"
    file.write_bytes(await export(client, await login("office")))
    empty = await make_database_url(db_kind)
    await upgrade_async(empty, MIGRATIONS_DIR)

    seeded_directory = await snapshot_of(hazard_db)
    units, people = len(seeded_directory.units), len(seeded_directory.people)
    posts = len(seeded_directory.posts)

    dry = duban(empty, "directory", "import", str(file), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        f"试导入（未写入）：将新增单位 {units} 个、人员 {people} 人、岗位 {posts} 个" in dry.stdout
    )
    assert (await snapshot_of(empty)).units == {}
    assert await counts(empty) == (0, 0)

    done = duban(empty, "directory", "import", str(file))
    assert done.returncode == 0, done.stderr
    assert "导入完成" in done.stdout
    assert await snapshot_of(empty) == seeded_directory
    events = await org_events(empty)
    assert sorted(e.aggregate_id for e in events) == sorted(
        [*seeded_directory.units, *seeded_directory.people, *seeded_directory.posts]
    )
    # The same events the directory's own writes would send, e.g. an enterprise's full state.
    hongxing = next(e for e in events if e.aggregate_id == "ent-hongxing")
    assert hongxing.type == "org.unit_upserted"
    assert hongxing.payload["supervising_department_ids"] == ["dep-gongan", "dep-yingji"]
    # The chain's additions travel too: regulated industries, party secretaries, handovers.
    assert any(e.payload.get("regulated_industry_codes") for e in events)
    assert any(e.payload.get("role") == "party_secretary" for e in events)
    outbox, audit = await counts(empty)
    assert audit == outbox == units + people + posts

    again = duban(empty, "directory", "import", str(file))
    assert again.returncode == 0, again.stderr
    assert "没有需要变更的内容" in again.stdout
    assert await counts(empty) == (outbox, audit)


async def test_one_bad_row_in_each_sheet_writes_nothing_and_names_every_one(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str
) -> None:
    headers = await login("office")
    good_code = credit_code("91430723MA4L0AB1C")
    bad_check = good_code[:17] + ("0" if good_code[17] != "0" else "1")
    data, first = edited(
        await export(client, headers),
        {
            "单位": [["tw-xinzhen", "新镇", "乡镇（街道）", "county", "430724", "否"]],
            "企业": [
                ["", bad_check, "校验位错公司", "tw-daping", "", "C2672", "", "是", "正常生产"],
                ["", good_code, "无属地公司", "tw-nowhere", "", "F5169", "", "否", "正常生产"],
                ["ent-a", "", "行业错公司", "tw-daping", "", "C51", "", "否", ""],
            ],
            # a good new person: written only if the whole file is valid
            "人员": [
                ["p-new", "新人", "tw-daping", "13800009999", "", "是"],
                ["p-dup", "重号", "tw-daping", "13800000001", "", "是"],
            ],
            "岗位": [["post-xianzhang", "county", "主要负责人", "县长", "p-zhoujun", "否"]],
            "分管范围": [["post-changwu", "dep-nowhere", ""]],
            "行业监管": [["tw-daping", "ent-hongxing", ""]],
        },
    )
    before = (await counts(hazard_db), await snapshot_of(hazard_db))

    response = await upload(client, headers, data)

    assert response.status_code == 422, response.text
    report = response.json()
    assert report["ok"] is False and "未写入任何数据" in report["message"]
    found = {(p["sheet"], p["row"], p["column"]): p["message"] for p in report["problems"]}
    expected = {
        ("单位", first["单位"], "行政区划代码"): "不属于本县",
        ("企业", first["企业"], "统一社会信用代码"): "校验位错误",
        ("企业", first["企业"] + 1, "属地单位编码"): "tw-nowhere 不存在",
        ("企业", first["企业"] + 2, "行业代码"): "C51 不存在",
        ("人员", first["人员"] + 1, "手机号码"): "13800000001",
        ("岗位", first["岗位"], "任职人员编码"): "一个岗位只能由一人担任",
        ("分管范围", first["分管范围"], "分管单位编码"): "dep-nowhere 不存在",
        ("行业监管", first["行业监管"], "监管部门编码"): "不是部门",
    }
    assert set(found) == set(expected), found
    for key, words in expected.items():
        assert words in found[key], (key, found[key])
    assert (await counts(hazard_db), await snapshot_of(hazard_db)) == before


async def test_reimport_changes_nothing_and_a_change_is_upserted_with_its_event(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str
) -> None:
    headers = await login("office")
    data = await export(client, headers)
    before = await counts(hazard_db)

    same = await upload(client, headers, data)
    assert same.status_code == 200, same.text
    assert same.json()["events"] == 0
    stored = await snapshot_of(hazard_db)
    assert same.json()["unchanged"] == {
        "units": len(stored.units),
        "people": len(stored.people),
        "posts": len(stored.posts),
    }
    assert await counts(hazard_db) == before

    book = load_workbook(io.BytesIO(data))
    for row in book["人员"].iter_rows(min_row=2):
        if row[0].value == "p-zhoujun":
            row[3].value = "13800007777"
    out = io.BytesIO()
    book.save(out)
    changed = await upload(client, headers, out.getvalue())
    assert changed.status_code == 200, changed.text
    assert changed.json()["updated"] == {"units": 0, "people": 1, "posts": 0}
    assert await counts(hazard_db) == (before[0] + 1, before[1] + 1)
    last = (await org_events(hazard_db))[-1]
    assert (last.type, last.aggregate_id, last.payload["mobile"]) == (
        "org.person_upserted",
        "p-zhoujun",
        "13800007777",
    )
    person = await client.get("/people/p-zhoujun", headers=headers)
    assert person.json()["mobile"] == "13800007777"


async def test_enterprises_are_upserted_by_credit_code(
    app: FastAPI, client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str
) -> None:
    headers = await login("office")
    code = credit_code("91430723MA4L0CD2E")
    data, _ = edited(
        await export(client, headers),
        {
            "企业": [
                ["", code, "新星化工", "tw-daping", "", "C2614", "有机化学原料制造", "是", ""]
            ],
            "行业监管": [["dep-yingji", code, ""]],
        },
    )
    first = await upload(client, headers, data)
    assert first.status_code == 200, first.text
    assert first.json()["created"]["units"] == 1
    unit = (await client.get(f"/units/{code}", headers=headers)).json()
    assert unit["credit_code"] == code and unit["supervising_department_ids"] == ["dep-yingji"]
    assert unit["township_id"] == "tw-daping" and unit["status"] == "operating"
    assert unit["industry_name"] == "有机化学原料制造"  # filled in from GB/T 4754-2017

    renamed, _ = edited(
        await export(client, headers),
        {},
    )
    book = load_workbook(io.BytesIO(renamed))
    for row in book["企业"].iter_rows(min_row=2):
        if row[1].value == code:
            row[0].value, row[2].value = None, "新星化工有限公司"  # the code column left empty
    out = io.BytesIO()
    book.save(out)
    second = await upload(client, headers, out.getvalue())
    assert second.status_code == 200, second.text
    assert second.json()["updated"]["units"] == 1 and second.json()["created"]["units"] == 0
    assert (await client.get(f"/units/{code}", headers=headers)).json()["name"] == (
        "新星化工有限公司"
    )


async def test_the_cli_lists_every_problem_and_writes_nothing(
    client: httpx.AsyncClient, seeded: DemoCounty, login: Login, hazard_db: str, tmp_path: Path
) -> None:
    good = credit_code("91430723MA4L0EF3G")
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    data, first = edited(
        await export(client, await login("office")),
        {
            "企业": [["", bad_check, "校验位错公司", "tw-daping", "", "C2672", "", "是", ""]],
            "人员": [["p-x", "无单位", "tw-nowhere", "", "", "是"]],
        },
    )
    file = tmp_path / "bad.xlsx"
    file.write_bytes(data)
    before = await counts(hazard_db)

    result = duban(hazard_db, "directory", "import", str(file))

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "文件中有 2 处错误，未写入任何数据" in lines[0]
    assert lines[1].startswith(f"  “企业”表第{first['企业']}行“统一社会信用代码”列：")
    assert lines[2] == (
        f"  “人员”表第{first['人员']}行“所在单位编码”列：所在单位编码 tw-nowhere 不存在"
        "（本文件和目录中都没有）"
    )
    assert await counts(hazard_db) == before
    missing = duban(hazard_db, "directory", "import", str(tmp_path / "none.xlsx"))
    assert missing.returncode == 1 and "找不到文件" in missing.stderr
