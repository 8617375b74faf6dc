"""统计 through the portal (both databases): every figure of the table and of the chart's data
equals `GET /statistics/hazards` for each grouping, in the user's scope; exports are the API's."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from services.portal.pages.statistics import COLUMNS
from shared.clock import TestClock
from shared.labels import beijing_time
from tests.portal.conftest import Api, SignIn
from tests.portal.test_ledger import _spread


def table(page: str) -> list[list[str]]:
    body = page.split('id="stats-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", body, re.S)
    return [[name, *re.findall(r'<td class="num">([^<]*)</td>', cells)] for name, cells in rows]


def chart(page: str) -> dict[str, Any]:
    raw = re.search(r'data-chart="([^"]*)"', page)
    assert raw is not None
    data: dict[str, Any] = json.loads(html.unescape(raw.group(1)))
    return data


def expected(row: dict[str, Any]) -> list[str]:
    out = []
    for key, _, _ in COLUMNS:
        value = row[key]
        if key == "rectification_rate":
            out.append(f"{value * 100:.2f}%")
        else:
            out.append(f"{value:,}" if key == "funds_spent" else str(value))
    return [row["unit_name"], *out]


async def test_the_page_shows_the_apis_figures_for_every_grouping(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    await _spread(api, clock)
    for username in ("office", "hongxing"):
        browser, _ = await signed_in(username)
        for group_by in ("township", "department", "industry", "level", "unit"):
            for quarter in ("", "1"):
                params = {"year": "2026", "group_by": group_by} | (
                    {"quarter": quarter} if quarter else {}
                )
                page = await browser.get("/statistics", params=params)
                assert page.status_code == 200, page.text
                stats = (await api.as_(username).get("/statistics/hazards", params=params)).json()
                assert stats["total"]["found"] == (5 if username == "office" else 4)
                # Q1 of 2026 is still running on the test clock: as of the minute.
                now = beijing_time(clock.now())
                heading = f"2026年第一季度 · 截至{now}" if quarter else "2026年度 · 截至"
                assert heading in page.text
                rows = table(page.text)
                assert rows == [expected(u) for u in stats["units"]] + [
                    expected(stats["total"] | {"unit_name": "合计"})
                ]
                data = chart(page.text)
                assert data["categories"] == [u["unit_name"] for u in stats["units"]]
                for series in data["series"]:
                    assert series["data"] == [u[series["key"]] for u in stats["units"]]
                assert {s["key"] for s in data["series"]} == {
                    "found",
                    "major",
                    "rectified",
                    "overdue",
                }


async def test_exports_are_the_apis_files(signed_in: SignIn, api: Api, clock: TestClock) -> None:
    await _spread(api, clock)
    browser, _ = await signed_in("office")
    params = {"year": "2026", "quarter": "1", "group_by": "level"}
    csv = await browser.get("/statistics/export.csv", params=params)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    direct = await api.as_("office").get("/statistics/hazards", params=params | {"format": "csv"})
    assert csv.content == direct.content and "attachment" in csv.headers["content-disposition"]
    xlsx = await browser.get("/statistics/export.xlsx", params=params)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = await browser.get("/statistics", params={"year": "1999"})
    assert bad.status_code == 422 and '<html lang="zh-CN">' in bad.text
