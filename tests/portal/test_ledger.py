"""工作台 counts, the 台账 they link to, exports and the enterprise's scope."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import urlencode

from openpyxl import load_workbook

from shared.clock import TestClock
from tests.portal.conftest import HAZARD, PLAN, Api, SignIn


async def _spread(api: Api, clock: TestClock) -> dict[str, str]:
    """Hazards of two enterprises in several states."""
    ent, other, office = api.as_("hongxing"), api.as_("huayu"), api.as_("office")
    ids: dict[str, str] = {}
    for name in ("reported", "general", "overdue", "major"):
        ids[name] = (await ent.post("/hazards", HAZARD | {"description": f"隐患{name}"})).json()[
            "id"
        ]
    ids["other"] = (await other.post("/hazards", HAZARD)).json()["id"]
    await office.post(f"/hazards/{ids['general']}/classify", {"level": "general"})
    await ent.post(f"/hazards/{ids['general']}/start-rectification", {})
    await office.post(
        f"/hazards/{ids['overdue']}/classify", {"level": "general", "deadline_days": 1}
    )
    await office.post(
        f"/hazards/{ids['major']}/classify", {"level": "major", "grade": 3, "criterion_id": "YH-05"}
    )
    assert (await ent.put(f"/hazards/{ids['major']}/plan", PLAN)).status_code == 200
    listed = await office.post(
        f"/hazards/{ids['major']}/listing", {"notice_no": "演安委〔2026〕1号"}
    )
    assert listed.status_code == 200, listed.text
    await ent.post(f"/hazards/{ids['major']}/start-rectification", {})
    ext = await ent.post(f"/hazards/{ids['major']}/extensions", {"reason": "雨季", "days": 15})
    assert ext.status_code == 201, ext.text
    clock.advance(days=3)  # the 1-day deadline has passed
    return ids


def _counts(html: str) -> dict[str, tuple[int, str]]:
    found = re.findall(r'<a href="([^"]+)" data-queue="(\w+)"><span class="n">(\d+|—)</span>', html)
    return {
        key: (int(n) if n.isdigit() else -1, url.replace("&amp;", "&")) for url, key, n in found
    }


async def test_every_count_equals_the_rows_of_the_ledger_it_links_to(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    await _spread(api, clock)
    for username in ("office", "hongxing", "daping"):
        browser, _ = await signed_in(username)
        home = await browser.get("/")
        assert home.status_code == 200, home.text
        counts = _counts(home.text)
        assert {"pending_classification", "overdue", "listed", "extension_pending"} <= set(counts)
        for key, (n, url) in counts.items():
            if key == "tasks":
                continue
            ledger = await browser.get(url)
            assert ledger.status_code == 200, (key, ledger.text)
            total = int(re.search(r'<span id="total">(\d+)</span>', ledger.text).group(1))  # type: ignore[union-attr]
            rows = ledger.text.count("<tr data-id=")
            assert (key, n) == (key, total) and rows == min(total, 20), key
        if username == "office":
            assert counts["pending_classification"][0] == 2  # reported + the other firm's
            assert counts["overdue"][0] == 1 and counts["listed"][0] == 1
            assert counts["extension_pending"][0] == 1 and counts["rectifying"][0] == 2
            assert counts["tasks"][0] == -1  # escalation is not running here: shown as —
            assert "督办升级服务暂不可用" in home.text


async def test_an_enterprise_sees_only_its_own_hazards(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    ids = await _spread(api, clock)
    browser, _ = await signed_in("hongxing")
    counts = _counts((await browser.get("/")).text)
    assert counts["pending_classification"][0] == 1
    ledger = await browser.get("/hazards")
    assert ids["other"] not in ledger.text and ids["reported"] in ledger.text
    assert '共 <span id="total">4</span> 条' in ledger.text
    foreign = await browser.get(f"/hazards/{ids['other']}")
    assert foreign.status_code == 404 and "不在您的管辖范围内" in foreign.text
    own = await browser.get(f"/hazards/{ids['major']}?tab=extension")
    assert own.status_code == 200 and "雨季" in own.text

    exported = await browser.get("/hazards/export.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["隐患编号", "单位"] and len(rows) == 1 + 4
    assert {r[1] for r in rows[1:]} == {"红星烟花爆竹有限公司"}


async def test_the_export_is_the_apis_streamed_export_of_the_filtered_set(
    signed_in: SignIn, api: Api, clock: TestClock
) -> None:
    await _spread(api, clock)
    office, _ = await signed_in("office")
    filters = {"status": "rectifying", "sort": "-found_at"}
    for fmt in ("csv", "xlsx"):
        query = urlencode(filters | {"cols": "code"})
        through = await office.get(f"/hazards/export.{fmt}?{query}")
        direct = await api.as_("office").get("/hazards/export", params=filters | {"format": fmt})
        assert through.status_code == direct.status_code == 200
        assert through.headers["content-type"] == direct.headers["content-type"]
        assert "attachment" in through.headers["content-disposition"]
        rows: list[Any]
        if fmt == "csv":
            assert through.content == direct.content
            rows = list(csv.reader(io.StringIO(through.content.decode("utf-8-sig"))))
        else:
            rows, api_rows = sheet_rows(through.content), sheet_rows(direct.content)
            assert rows == api_rows
        assert len(rows) == 1 + 2 and {r[3] for r in rows[1:]} == {"整改中"}
    bad = await office.get("/hazards/export.csv?status=nonsense")
    assert bad.status_code == 422 and '<html lang="zh-CN">' in bad.text
    assert (await office.get("/hazards/export.pdf")).status_code == 404


def sheet_rows(content: bytes) -> list[Any]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


async def test_a_bad_filter_is_a_chinese_4xx_page(signed_in: SignIn, api: Api) -> None:
    browser, _ = await signed_in("office")
    bad = await browser.get("/hazards?status=nonsense")
    assert bad.status_code == 422 and '<html lang="zh-CN">' in bad.text
    missing = await browser.get("/hazards/no-such-hazard")
    assert missing.status_code == 404 and "页面不存在" in missing.text
