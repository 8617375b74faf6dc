"""What tests/e2e/test_reporting_chain.py plays through the stack, and what it looks at besides
the emulator: a major hazard from classification to delisting and an accident's 快报 with two
续报, all made through hazard_api's API as people would; the reporting service's own ledger
(only to tell when the service has written down its answer to a request, and whether a kill
landed in the middle of one) and its process."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.e2e.world import PLAN, PNG, START, World


async def make_reports(w: World) -> None:
    """Six upward documents: the hazard's classification, listing and delisting (销号), the
    accident's 快报 and two 续报, each signed off — all made while the province may be failing."""
    hazard = await w.api(
        "POST",
        "/hazards",
        "daping",
        json={
            "unit_id": "ent-hongxing",
            "location": "二号库房东侧",
            "description": "库房内存放药量超过核定药量，且防护屏障部分缺失",
            "source": "inspection",
            "found_at": (START - timedelta(hours=20)).isoformat(),
        },
    )
    hid = hazard["id"]
    major = {"level": "major", "grade": 3, "criterion_id": "YH-05"}
    await w.api("POST", f"/hazards/{hid}/classify", "office", json=major)
    await w.api("PUT", f"/hazards/{hid}/plan", "hongxing", json=PLAN)
    listing = {"notice_no": "演安委〔2026〕1号", "deadline_days": 14, "published": True}
    await w.api("POST", f"/hazards/{hid}/listing", "office", json=listing)
    await delist(w, hid)
    accident = await w.api(
        "POST",
        "/accidents",
        "hongxing",
        json={
            "channel": "enterprise",
            "occurred_at": (w.clock.now() - timedelta(minutes=25)).isoformat(),
            "place": "大坪乡红星烟花爆竹有限公司二号工房",
            "accident_type": "explosion",
            "account": "二号工房装药时发生爆炸",
            "reporter_name": "张红星",
            "reporter_phone": "13800001001",
            "deaths": 1,
            "missing": 0,
            "serious_injuries": 2,
            "direct_loss_yuan": 500_000,
        },
    )
    for deaths in (1, 2):
        follow_up: dict[str, Any] = {
            "kind": "follow_up",
            "account": f"搜救持续，现死亡{deaths}人",
            "reporter_name": "张红星",
            "reporter_phone": "13800001001",
            "deaths": deaths,
            "missing": 0,
            "serious_injuries": 2,
        }
        await w.api("POST", f"/accidents/{accident['id']}/reports", "hongxing", json=follow_up)
    await sign_off(w, accident["id"])


async def sign_off(w: World, aid: str) -> None:
    """Each report goes upward only once signed off: 核稿 by the township, 签发 by the county
    office, in the order they were made."""
    detail = await w.api("GET", f"/accidents/{aid}", "office")
    for report in detail["reports"]:
        await w.api("POST", f"/accidents/{aid}/reports/{report['id']}/review", "daping")
        await w.api("POST", f"/accidents/{aid}/reports/{report['id']}/issue", "office")


async def delist(w: World, hid: str) -> None:
    """The enterprise rectifies and reports with a photo, the county office (which listed it)
    accepts on site and delists it (摘牌销号), as in the README's walkthrough."""
    await w.api("POST", f"/hazards/{hid}/start-rectification", "hongxing", json={})
    photo = await w.api(
        "POST",
        f"/hazards/{hid}/attachments",
        "hongxing",
        files={"file": ("整改后.png", io.BytesIO(PNG), "image/png")},
        data={"purpose": "acceptance"},
    )
    report = {
        "summary": "超量成品已转运，防护屏障已修复",
        "funds_spent": 110000,
        "attachment_ids": [photo["id"]],
    }
    await w.api("POST", f"/hazards/{hid}/rectification-report", "hongxing", json=report)
    verdict = {"passed": True, "opinion": "现场验收合格"}
    await w.api("POST", f"/hazards/{hid}/acceptance", "office", json=verdict)
    closing = {"delisting_notice_no": "演安委〔2026〕9号", "published": True}
    closed = await w.api("POST", f"/hazards/{hid}/close", "office", json=closing)
    assert closed["status"] == "closed"


async def ledger(w: World, port: int) -> list[dict[str, Any]]:
    """The reporting service's submissions with every attempt (`GET /submissions`, as the
    county office sees it)."""
    url = f"http://127.0.0.1:{port}/submissions"
    r = await w.client.get(url, headers=await w.as_("office"))
    if r.status_code == 401:  # the token expired while time moved on: log in again
        del w.tokens["office"]
        r = await w.client.get(url, headers=await w.as_("office"))
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


async def answered(w: World, port: int, requests: list[dict[str, Any]]) -> bool:
    """Whether the service has written down an answer (or its timeout) to every request the
    province saw: only then may the clock move, or a retry would be planned from the moved
    time and fall outside the step."""
    rows = await ledger(w, port)
    return sum(len(r["attempts"]) for r in rows) == len(requests)


def reporting_pid(port: int) -> int | None:
    """The reporting service's uvicorn process of this stack (found by its port)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"services.reporting.main:create_app" in argv and str(port).encode() in argv:
            return int(entry.name)
    return None
