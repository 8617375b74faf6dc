"""组织目录 and 统计 in Debian's Chromium on a phone and on a desktop: the county office searches
the directory, imports a bad file (every bad row listed, nothing written) and a good one, loads
a year's holidays; the chart draws exactly the table's figures (read back from ECharts); an
enterprise is refused the directory. Screenshots kept, no console error, CJK font used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from shared.clock import TestClock
from tests.hazard_api.directory_files import counts, edited
from tests.official_2027 import NOTICE, OFFICIAL_2027
from tests.portal.browser import VIEWPORTS, Journey, cjk_font, journey, screenshots
from tests.portal.conftest import Api, portal_over
from tests.portal.test_directory_page import GOOD_CODE, XLSX, bad_rows
from tests.portal.test_ledger import _spread

try:
    from playwright.async_api import FilePayload, Page
except ImportError:  # pragma: no cover - test_journey_browser skips the module the same way
    pytest.skip("playwright not installed", allow_module_level=True)

FAILED_LOAD = "Failed to load resource: the server responded with a status of"
CHART_OPTION = """() => {
  const o = echarts.getInstanceByDom(document.getElementById('stats-chart')).getOption();
  return {categories: o.xAxis[0].data, series: o.series.map(s => ({name: s.name, data: s.data}))};
}"""


@pytest.fixture
def db_kind() -> str:
    return "sqlite"  # the HTTP tests of these pages run on both databases


def xlsx(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": XLSX, "buffer": data}


async def table_cells(page: Page) -> list[list[str]]:
    cells: list[list[str]] = await page.eval_on_selector_all(
        "#stats-table tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
    )
    return cells


async def check_statistics(j: Journey, page: Page, group_by: str) -> None:
    await page.goto(f"{j.base}/statistics")
    await page.locator("select[name=year]").select_option("2026")
    await page.locator("select[name=group_by]").select_option(group_by)
    await page.locator("form.stat-filters button[type=submit]").click()
    await page.wait_for_url(f"**group_by={group_by}**")
    await page.locator("#stats-chart canvas").wait_for()
    option: dict[str, Any] = await page.evaluate(CHART_OPTION)
    stats = (
        await j.api.as_("office").get(
            "/statistics/hazards", params={"year": 2026, "group_by": group_by}
        )
    ).json()
    names = [u["unit_name"] for u in stats["units"]]
    assert option["categories"] == names and names
    rows = await table_cells(page)
    headers = await page.eval_on_selector_all(
        "#stats-table thead th[data-key]", "hs => hs.map(h => h.textContent.trim())"
    )
    for series in option["series"]:
        column = headers.index(series["name"]) + 1
        key = {"排查隐患": "found", "重大隐患": "major", "已整改": "rectified"}.get(
            series["name"], "overdue"
        )
        assert series["data"] == [u[key] for u in stats["units"]]
        assert [int(r[column]) for r in rows] == series["data"]
    await j.shot(page, f"statistics-{group_by}")


async def import_through_the_page(j: Journey, page: Page, hazard_db: str) -> None:
    exported = (await j.api.as_("office").get("/directory/export")).content
    await page.goto(f"{j.base}/directory/import")
    await j.shot(page, "import")
    bad, _ = bad_rows(exported)
    before = await counts(hazard_db)
    await page.locator("[name=file]").set_input_files(files=[xlsx("有错的目录.xlsx", bad)])
    await page.locator("button[value=check]").click()
    await page.locator("#problems").wait_for()
    assert await page.locator("#problems tbody tr").count() == 3
    assert "未写入任何数据" in await page.inner_text("#import-message")
    await j.shot(page, "import-bad-file")
    assert await counts(hazard_db) == before

    good, _ = edited(
        exported,
        {"企业": [["", GOOD_CODE, "新星化工", "tw-daping", "", "C2614", "", "是", ""]]},
    )
    await page.locator("[name=file]").set_input_files(files=[xlsx("县目录.xlsx", good)])
    await page.locator("button[value=check]").click()
    await page.locator("#confirm-import").wait_for()
    await j.shot(page, "import-checked")
    await page.locator("#confirm-import button").click()
    await page.wait_for_load_state()
    assert "导入完成" in await page.inner_text("#import-message")
    await j.shot(page, "import-done")
    unit = await j.api.as_("office").get(f"/units/{GOOD_CODE}")
    assert unit.status_code == 200 and unit.json()["name"] == "新星化工"


@pytest.mark.parametrize("device", list(VIEWPORTS))
async def test_directory_and_statistics_in_chromium(
    device: str,
    app: FastAPI,
    api: Api,
    clock: TestClock,
    hazard_db: str,
    chromium_path: str,
    tmp_path: Path,
) -> None:
    await _spread(api, clock)
    shots = screenshots(tmp_path, f"admin-{device}")
    async with (
        portal_over(clock, hazard_api=app) as portal,
        journey(portal, api, device, chromium_path, shots) as j,
    ):
        base = j.base
        office = await j.page_as("office", "county_office", "dep-yingji")

        await office.goto(f"{base}/directory")
        assert any("CJK" in f for f in await cjk_font(office))
        await office.fill("[name=q]", "红星")
        await office.locator("form.search button").click()
        await office.wait_for_url("**q=**")
        assert await office.locator("tr[data-id]").count() == 1
        await j.shot(office, "directory-units")
        await office.goto(f"{base}/directory?tab=posts&unit_id=county")
        assert await office.locator("tr[data-id='post-xianzhang']").count() == 1
        await j.shot(office, "directory-posts")
        await office.goto(f"{base}/directory?tab=people")
        await j.shot(office, "directory-people")

        await import_through_the_page(j, office, hazard_db)

        await office.goto(f"{base}/directory/calendar")
        await office.locator("select[name=year]").select_option("2027")
        await office.fill("[name=notice_no]", NOTICE)
        await office.fill("[name=holidays]", "\n".join(OFFICIAL_2027["holidays"]))
        await office.fill("[name=workdays]", "\n".join(OFFICIAL_2027["workdays"]))
        await office.locator("#calendar-form button[type=submit]").click()
        await office.locator("#calendar-done").wait_for()
        row = office.locator("tr[data-year='2027']")
        assert await row.get_attribute("data-provisional") == "false"
        assert "office" in await row.inner_text()
        # On a phone each year is a card of labelled lines, not ten squeezed columns.
        assert await office.locator("#schedules thead").is_visible() == (device == "desktop")
        await j.shot(office, "calendar")

        for group_by in ("township", "department", "industry", "level"):
            await check_statistics(j, office, group_by)
        assert any("CJK" in f for f in await cjk_font(office))

        ent = await j.page_as("hongxing", "enterprise", "ent-hongxing")
        refused = await ent.goto(f"{base}/directory")
        assert refused is not None and refused.status == 403
        assert "仅限县安委办使用" in await ent.inner_text("main")
        await j.shot(ent, "directory-refused")
        await ent.goto(f"{base}/statistics?year=2026&group_by=level")
        await ent.locator("#stats-chart canvas").wait_for()
        await j.shot(ent, "statistics-enterprise")
    # Chromium logs the answers the pages give on purpose (a refused file, a refused user).
    expected = {
        f"{base}/directory/import: {FAILED_LOAD} 422 (Unprocessable Entity)",
        f"{base}/directory: {FAILED_LOAD} 403 (Forbidden)",
    }
    assert [e for e in j.errors if e not in expected] == []
    assert len(j.errors) == 2
    assert len(list(shots.glob("*.png"))) >= 14
