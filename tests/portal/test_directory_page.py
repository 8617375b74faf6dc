"""组织目录 through the portal (both databases): only the county office gets it; search; the
import refuses a bad file row by row and writes nothing, imports a good one after a dry run;
the upload needs the CSRF token; the holiday calendar is loaded from the form and from a file."""

from __future__ import annotations

import io
import json
import re

import httpx
from openpyxl import load_workbook

from tests.hazard_api.directory_files import counts, credit_code, edited, snapshot_of
from tests.official_2027 import NOTICE, OFFICIAL_2027
from tests.portal.conftest import Api, SignIn

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOOD_CODE = credit_code("91430723MA4L0PQ7R")


async def post_file(
    browser: httpx.AsyncClient, csrf: str | None, data: bytes, mode: str
) -> httpx.Response:
    fields = {"mode": mode} | ({"csrf_token": csrf} if csrf else {})
    return await browser.post(
        "/directory/import", data=fields, files={"file": ("县目录.xlsx", data, XLSX)}
    )


def problems(html: str) -> list[tuple[str, str, str, str]]:
    table = html.split('id="problems"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    return [(s, r, c, m) for s, r, c, m in cells]


def bad_rows(data: bytes) -> tuple[bytes, dict[str, int]]:
    bad_check = GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")
    return edited(
        data,
        {
            "企业": [
                ["", bad_check, "校验位错公司", "tw-daping", "", "C2672", "", "是", "正常生产"],
                ["", GOOD_CODE, "无属地公司", "tw-nowhere", "", "F5169", "", "否", "正常生产"],
            ],
            "人员": [["p-new", "新人", "tw-daping", "13800009999", "", "是"]],
            "分管范围": [["post-changwu", "dep-nowhere", ""]],
        },
    )


async def test_only_the_county_office_gets_the_directory(signed_in: SignIn, api: Api) -> None:
    for username in ("hongxing", "daping"):
        browser, csrf = await signed_in(username)
        for path in ("/directory", "/directory/import", "/directory/calendar"):
            refused = await browser.get(path)
            assert refused.status_code == 403, (username, path)
            assert "仅限县安委办使用" in refused.text and '<html lang="zh-CN">' in refused.text
        assert (await browser.get("/directory/export.xlsx")).status_code == 403
        assert "组织目录" not in (await browser.get("/")).text  # not in the menu either
        upload = await post_file(browser, csrf, b"PK", "check")
        assert upload.status_code == 403


async def test_units_people_and_posts_are_searched(signed_in: SignIn, api: Api) -> None:
    office, _ = await signed_in("office")
    units = await office.get("/directory", params={"q": "红星"})
    assert units.status_code == 200, units.text
    assert 'data-id="ent-hongxing"' in units.text and "公安局" in units.text
    assert units.text.count("<tr data-id=") == 1
    people = await office.get("/directory", params={"tab": "people", "q": "周"})
    assert 'data-id="p-zhoujun"' in people.text
    assert all("周" in name for name in re.findall(r'<tr data-id="[^"]+"><td>([^<]+)', people.text))
    posts = await office.get("/directory", params={"tab": "posts", "unit_id": "county"})
    assert posts.status_code == 200
    rows = re.findall(r"<tr data-id=\"([^\"]+)\">(.*?)</tr>", posts.text, re.S)
    assert rows and "post-xianzhang" in {r[0] for r in rows}
    # a county leader's portfolio (一岗双责) names the departments he answers for
    assert any("局" in r[1].split("<td>")[-1] for r in rows)
    searched = await office.get("/directory", params={"tab": "posts", "q": "县长"})
    assert "post-xianzhang" in searched.text
    assert (await office.get("/directory", params={"q": "x" * 51})).status_code == 422


async def test_a_bad_file_shows_every_bad_row_and_writes_nothing(
    signed_in: SignIn, api: Api, hazard_db: str
) -> None:
    office, csrf = await signed_in("office")
    exported = await office.get("/directory/export.xlsx")
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    data, first = bad_rows(exported.content)
    before = (await counts(hazard_db), await snapshot_of(hazard_db))

    for mode in ("check", "import"):
        page = await post_file(office, csrf, data, mode)
        assert page.status_code == 422, page.text
        assert "未写入任何数据" in page.text and 'data-ok="false"' in page.text
        found = {(s, int(r), c): m for s, r, c, m in problems(page.text)}
        assert set(found) == {
            ("企业", first["企业"], "统一社会信用代码"),
            ("企业", first["企业"] + 1, "属地单位编码"),
            ("分管范围", first["分管范围"], "分管单位编码"),
        }, found
        assert "校验位错误" in found[("企业", first["企业"], "统一社会信用代码")]
        assert "confirm-import" not in page.text
    assert (await counts(hazard_db), await snapshot_of(hazard_db)) == before


async def test_a_good_file_is_checked_then_imported(
    signed_in: SignIn, api: Api, hazard_db: str
) -> None:
    office, csrf = await signed_in("office")
    template = await office.get("/directory/template.xlsx")
    assert "单位" in load_workbook(io.BytesIO(template.content)).sheetnames
    exported = (await office.get("/directory/export.xlsx")).content
    data, _ = edited(
        exported,
        {"企业": [["", GOOD_CODE, "新星化工", "tw-daping", "", "C2614", "", "是", ""]]},
    )
    before = await counts(hazard_db)

    checked = await post_file(office, csrf, data, "check")
    assert checked.status_code == 200, checked.text
    assert "试导入（未写入）" in checked.text and 'data-dry-run="true"' in checked.text
    assert await counts(hazard_db) == before
    carried = re.search(r'name="checked_file" value="([^"]+)"', checked.text)
    assert carried is not None

    # The confirm form sends the checked file back; without the CSRF token it is refused.
    fields = {"mode": "import", "checked_name": "县目录.xlsx", "checked_file": carried.group(1)}
    refused = await office.post("/directory/import", data=fields)
    assert refused.status_code == 403 and "安全校验未通过" in refused.text
    assert await counts(hazard_db) == before
    done = await office.post("/directory/import", data=fields | {"csrf_token": csrf})
    assert done.status_code == 200, done.text
    assert "导入完成" in done.text and 'data-dry-run="false"' in done.text
    unit = await api.as_("office").get(f"/units/{GOOD_CODE}")
    assert unit.status_code == 200 and unit.json()["name"] == "新星化工"
    assert (await counts(hazard_db))[0] == before[0] + 1  # one org event


async def test_the_holiday_calendar_is_loaded_from_the_form_and_a_file(
    signed_in: SignIn, api: Api
) -> None:
    office, csrf = await signed_in("office")
    shown = await office.get("/directory/calendar")
    assert shown.status_code == 200
    assert re.search(r'data-year="2027" data-provisional="true"', shown.text)

    form = {
        "csrf_token": csrf,
        "year": "2027",
        "notice_no": NOTICE,
        "holidays": "\n".join(OFFICIAL_2027["holidays"]),
        "workdays": "2027-01-08",  # a Friday: refused in Chinese, nothing loaded
    }
    wrong = await office.post("/directory/calendar", data=form)
    assert wrong.status_code == 422 and "调休上班日期应为周六或周日" in wrong.text
    assert (await api.as_("office").get("/calendar/2027")).json()["provisional"] is True
    without_csrf = {k: v for k, v in form.items() if k != "csrf_token"}
    assert (await office.post("/directory/calendar", data=without_csrf)).status_code == 403

    loaded = await office.post(
        "/directory/calendar", data=form | {"workdays": "2027-01-09 2027-02-20"}
    )
    assert loaded.status_code == 200, loaded.text
    assert "已导入2027年放假安排" in loaded.text
    row = loaded.text.split('data-year="2027"', 1)[1].split("</tr>", 1)[0]
    assert 'data-provisional="false"' in row and NOTICE in row and "office" in row
    assert (await api.as_("office").get("/calendar/2027")).json()["version"] == 1

    replaced = OFFICIAL_2027 | {"notice_no": "国办发明电〔2026〕100号"}
    by_file = await office.post(
        "/directory/calendar",
        data={"csrf_token": csrf, "year": "2027"},
        files={"file": ("2027.json", json.dumps(replaced).encode(), "application/json")},
    )
    assert by_file.status_code == 200, by_file.text
    current = (await api.as_("office").get("/calendar/2027")).json()
    assert (current["version"], current["notice_no"]) == (2, "国办发明电〔2026〕100号")
    bad_file = await office.post(
        "/directory/calendar",
        data={"csrf_token": csrf, "year": "2027"},
        files={"file": ("2027.json", b"{not json", "application/json")},
    )
    assert bad_file.status_code == 422 and "不是 UTF-8 编码的 JSON 或 YAML" in bad_file.text
